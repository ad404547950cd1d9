"""The configuration a compute resource keeps and ReconfigureComputeResource_Task /
ReconfigureCluster_Task change: `configurationEx`, `configuration` and the parts of
`summary` that follow from it are read from here.

A reconfiguration works on a copy (`reconfigured`), so a fault anywhere in the
spec leaves the configuration as it was. `modify=false` starts the copy from
vCenter's defaults ("the cluster configuration is reverted to the default values,
then the new configuration values are applied"); `modify=true` merges: a set field
of a data object replaces the stored one, a nested data object of the same type
merges field by field, arrays replace. The array parts go through ArrayUpdateSpec
(`add`, `edit`, `remove` with `removeKey`): rules by key (the server assigns it),
groups by name, per-VM and per-host overrides by their entity; each faults with
InvalidArgument for a duplicate or unknown key, as vCenter does. The whole result
is then checked against the cluster: rules and groups may only name its VMs and
hosts, VM-host and dependency rules only its groups of the right kind.
"""
import copy
import re

from vimsim.schema import DataObject, MoRef
from vimsim.soap.fault import fault

HARDWARE_VERSION_KEY = re.compile(r'^vmx-\d+$')
RATE_RANGE = (1, 5)   # DRS vmotionRate and DPM hostPowerActionRate


def _invalid(path):
    return fault('InvalidArgument', 'A specified parameter was not correct: %s' % path,
                 invalidProperty=path)


def merged(current, change):
    """`current` with the fields `change` sets (see the module docstring)."""
    if change is None:
        return current
    if current is None or type(current) is not type(change):
        return copy.deepcopy(change)
    result = copy.deepcopy(current)
    for name in change._type._names:
        value = getattr(change, name)
        # an empty array is an absent one on the wire: it sets nothing
        if value is None or value == [] or name in ('dynamicType', 'dynamicProperty'):
            continue
        if isinstance(value, DataObject):
            value = merged(getattr(result, name), value)
        else:
            value = copy.deepcopy(value)
        setattr(result, name, value)
    return result


def differences(path, old, new):
    """'path: old -> new' lines for the leaves that differ."""
    if isinstance(old, DataObject) and type(old) is type(new):
        lines = []
        for name in old._type._names:
            if name not in ('dynamicType', 'dynamicProperty'):
                lines.extend(differences('%s.%s' % (path, name), getattr(old, name),
                                         getattr(new, name)))
        return lines
    if old == new:
        return []
    return ['%s: %s -> %s' % (path, _shown(old), _shown(new))]


def _shown(value):
    if value is None:
        return '<unset>'
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, MoRef):
        return value.value
    if isinstance(value, DataObject):
        return type(value).__name__
    if isinstance(value, (list, tuple)):
        return '(%s)' % ', '.join(_shown(item) for item in value)
    return str(value)


class ComputeResourceSettings:
    """ComputeResourceConfigInfo's own fields: what a standalone host's
    compute resource keeps."""
    # ComputeResourceConfigSpec fields this simulator does not model: a spec
    # setting one is refused rather than half applied
    UNSUPPORTED = ('desiredSoftwareSpec', 'hostSeedSpec', 'softwareSpecId', 'networkBootMode',
                   'systemVMsConfig')

    def __init__(self, T):
        self.vm_swap_placement = 'vmDirectory'
        self.spbm_enabled = True
        self.default_hardware_version = None   # unset: the datacenter's, else the newest
        self.maximum_hardware_version = None

    def reconfigured(self, T, spec, modify, cluster):
        """A copy with `spec` applied; raises a vim fault, leaving this one as it is."""
        if modify:
            result = self.copy()
        else:
            result = type(self)(T)
            result.keep_identity(self)
        result.apply(T, spec, cluster)
        return result

    def copy(self):
        """A copy to change: the parts are replaced, never changed in place
        (`merged` and the array updates make new objects), so sharing them is safe."""
        return copy.copy(self)

    def keep_identity(self, before):
        """What a `modify=false` reset keeps (nothing here)."""

    def apply(self, T, spec, cluster):
        for name in self.UNSUPPORTED:
            if getattr(spec, name, None) not in (None, []):
                raise fault('NotSupported', 'The operation is not supported on the object.')
        if getattr(spec, 'enableConfigManager', None):
            raise fault('NotSupported', 'The operation is not supported on the object.')
        if spec.vmSwapPlacement is not None:
            if spec.vmSwapPlacement not in ('vmDirectory', 'hostLocal'):
                raise _invalid('spec.vmSwapPlacement')
            self.vm_swap_placement = spec.vmSwapPlacement
        if spec.spbmEnabled is not None:
            self.spbm_enabled = spec.spbmEnabled
        for field, attr in (('defaultHardwareVersionKey', 'default_hardware_version'),
                            ('maximumHardwareVersionKey', 'maximum_hardware_version')):
            value = getattr(spec, field)
            if value is not None:
                if not HARDWARE_VERSION_KEY.match(value):
                    raise _invalid('spec.' + field)
                setattr(self, attr, value)

    def base_fields(self):
        return dict(vmSwapPlacement=self.vm_swap_placement, spbmEnabled=self.spbm_enabled,
                    defaultHardwareVersionKey=self.default_hardware_version,
                    maximumHardwareVersionKey=self.maximum_hardware_version)

    def info(self, T, cluster):
        return T.ComputeResourceConfigInfo(**self.base_fields())

    def changes(self, T, before, cluster):
        """(modified, added, deleted) lines describing what changed since `before`."""
        return differences('configurationEx', before.info(T, cluster),
                           self.info(T, cluster)), [], []


def _default_drs(T):
    return T.ClusterDrsConfigInfo(enabled=False, enableVmBehaviorOverrides=True,
                                  defaultVmBehavior='fullyAutomated', vmotionRate=3,
                                  scaleDescendantsShares='disabled', option=[])


def _default_das(T):
    return T.ClusterDasConfigInfo(
        enabled=False, vmMonitoring='vmMonitoringDisabled', hostMonitoring='enabled',
        vmComponentProtecting='disabled', failoverLevel=1,
        admissionControlPolicy=T.ClusterFailoverResourcesAdmissionControlPolicy(
            cpuFailoverResourcesPercent=50, memoryFailoverResourcesPercent=50,
            failoverLevel=1, autoComputePercentages=True,
            resourceReductionToToleratePercent=100),
        admissionControlEnabled=True,
        defaultVmSettings=T.ClusterDasVmSettings(
            restartPriority='medium', restartPriorityTimeout=600, isolationResponse='none',
            vmToolsMonitoringSettings=T.ClusterVmToolsMonitoringSettings(
                enabled=False, vmMonitoring='vmMonitoringDisabled', clusterSettings=True,
                failureInterval=30, minUpTime=120, maxFailures=3, maxFailureWindow=3600)),
        option=[], heartbeatDatastore=[],
        hBDatastoreCandidatePolicy='allFeasibleDsWithUserPreference')


class KeyedArray:
    """One array part of the configuration and how ArrayUpdateSpec reaches its
    elements: `field` of the spec, `key_of` an element's key, `removal_key`
    the key a removeKey names (TypeError when it cannot name one)."""

    def __init__(self, field, key_of, removal_key, label):
        self.field = field
        self.key_of = key_of
        self.removal_key = removal_key
        self.label = label


def _int_key(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(value)
    return int(value)


def _string_key(value):
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _ref_key(value):
    if not isinstance(value, MoRef):
        raise TypeError(value)
    return value.value


ARRAYS = {
    'rules': KeyedArray('rulesSpec', lambda info: info.key, _int_key, 'rule'),
    'groups': KeyedArray('groupSpec', lambda info: info.name, _string_key, 'group'),
    'drs_vm': KeyedArray('drsVmConfigSpec', lambda info: info.key.value if info.key else None,
                         _ref_key, 'drsVmConfig'),
    'das_vm': KeyedArray('dasVmConfigSpec', lambda info: info.key.value if info.key else None,
                         _ref_key, 'dasVmConfig'),
    'dpm_host': KeyedArray('dpmHostConfigSpec',
                           lambda info: info.key.value if info.key else None, _ref_key,
                           'dpmHostConfig'),
    'vm_orchestration': KeyedArray('vmOrchestrationSpec',
                                   lambda info: info.vm.value if info.vm else None, _ref_key,
                                   'vmOrchestration'),
}


class ClusterSettings(ComputeResourceSettings):
    """ClusterConfigInfoEx: DRS, HA, DPM, rules, groups and the overrides."""
    UNSUPPORTED = ComputeResourceSettings.UNSUPPORTED + ('vsanCoreConfigSpec',)

    def __init__(self, T):
        super().__init__(T)
        self.drs = _default_drs(T)
        self.das = _default_das(T)
        self.dpm = T.ClusterDpmConfigInfo(enabled=False, defaultDpmBehavior='automated',
                                          hostPowerActionRate=3, option=[])
        self.orchestration = T.ClusterOrchestrationInfo(
            defaultVmReadiness=T.ClusterVmReadiness(readyCondition='none', postReadyDelay=0))
        self.vsan = T.VsanClusterConfigInfo(
            enabled=False, vsanEsaEnabled=False,
            defaultConfig=T.VsanClusterConfigInfoHostDefaultInfo(autoClaimStorage=False))
        self.infra_update_ha = T.ClusterInfraUpdateHaConfigInfo(
            enabled=False, behavior='Manual', moderateRemediation='QuarantineMode',
            severeRemediation='QuarantineMode', providers=[])
        self.proactive_drs = T.ClusterProactiveDrsConfigInfo(enabled=False)
        self.crypto = T.ClusterCryptoConfigInfo(cryptoMode='onDemand')
        # the arrays, in the order their elements were added: key -> info
        self.rules = {}
        self.groups = {}
        self.drs_vm = {}
        self.das_vm = {}
        self.dpm_host = {}
        self.vm_orchestration = {}
        self.next_rule_key = 1

    def copy(self):
        result = super().copy()
        for attr in ARRAYS:
            setattr(result, attr, dict(getattr(self, attr)))
        return result

    def keep_identity(self, before):
        # rule keys are never reused, even across a modify=false reset
        self.next_rule_key = before.next_rule_key

    # -- applying a spec ------------------------------------------------------------
    def apply(self, T, spec, cluster):
        if isinstance(spec, T.ComputeResourceConfigSpec):   # not the legacy ClusterConfigSpec
            super().apply(T, spec, cluster)
        for field, attr in (('dasConfig', 'das'), ('drsConfig', 'drs'),
                            ('dpmConfig', 'dpm'), ('orchestration', 'orchestration'),
                            ('vsanConfig', 'vsan'), ('infraUpdateHaConfig', 'infra_update_ha'),
                            ('proactiveDrsConfig', 'proactive_drs'),
                            ('cryptoConfig', 'crypto')):
            change = getattr(spec, field, None)
            if change is not None:
                setattr(self, attr, merged(getattr(self, attr), change))
        self._check_services()
        for attr, array in ARRAYS.items():
            for index, item in enumerate(getattr(spec, array.field, None) or ()):
                self._update(T, attr, array, 'spec.%s[%d]' % (array.field, index), item)
        self._check_members(cluster)

    def _check_services(self):
        for path, rate in (('spec.drsConfig.vmotionRate', self.drs.vmotionRate),
                           ('spec.dpmConfig.hostPowerActionRate', self.dpm.hostPowerActionRate)):
            if rate is not None and not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
                raise _invalid(path)
        policy = self.das.admissionControlPolicy
        for name in ('cpuFailoverResourcesPercent', 'memoryFailoverResourcesPercent'):
            value = getattr(policy, name, None)
            if value is not None and not 0 <= value <= 100:
                raise _invalid('spec.dasConfig.admissionControlPolicy.' + name)
        if self.das.failoverLevel is not None and self.das.failoverLevel < 1:
            raise _invalid('spec.dasConfig.failoverLevel')

    def _update(self, T, attr, array, path, item):
        elements = getattr(self, attr)
        operation = item.operation
        if operation == 'remove':
            try:
                key = array.removal_key(item.removeKey)
            except TypeError:
                raise _invalid(path + '.removeKey') from None
            if key not in elements:
                raise _invalid(path + '.removeKey')
            del elements[key]
            return
        info = item.info
        if info is None:
            raise _invalid(path + '.info')
        if attr == 'rules':
            self._update_rule(elements, operation, path, info)
            return
        key = array.key_of(info)
        if key is None or key == '':
            raise _invalid(path + '.info')
        if operation == 'add':
            if key in elements:
                raise _invalid(path + '.info')
            elements[key] = copy.deepcopy(info)
        elif operation == 'edit':
            if key not in elements:
                raise _invalid(path + '.info')
            elements[key] = merged(elements[key], info)
        else:
            raise _invalid(path + '.operation')

    def _update_rule(self, rules, operation, path, info):
        if operation == 'add':
            if info.key is not None and info.key in rules:
                raise _invalid(path + '.info.key')
            rule = copy.deepcopy(info)
            rule.key = self.next_rule_key
            self.next_rule_key += 1
            for name, default in (('enabled', False), ('mandatory', False),
                                  ('userCreated', True), ('status', 'gray')):
                if getattr(rule, name) is None:
                    setattr(rule, name, default)
            rule.ruleUuid = rule.ruleUuid or _rule_uuid(rule.key)
            rules[rule.key] = rule
        elif operation == 'edit':
            if info.key not in rules:
                raise _invalid(path + '.info.key')
            rule = merged(rules[info.key], info)
            rule.key = info.key
            rules[info.key] = rule
        else:
            raise _invalid(path + '.operation')

    def with_rule_uuids(self):
        """This configuration, or a copy where every rule has a ruleUuid."""
        missing = [key for key, rule in self.rules.items() if not rule.ruleUuid]
        if not missing:
            return self
        result = self.copy()
        for key in missing:
            rule = copy.copy(result.rules[key])
            rule.ruleUuid = _rule_uuid(key)
            result.rules[key] = rule
        return result

    # -- the whole result against the cluster -------------------------------------------
    def _check_members(self, cluster):
        vms = {vm.ref.value for vm in cluster_vms(cluster)}
        hosts = {host.ref.value for host in cluster.hosts}
        T = cluster.T
        for name, group in self.groups.items():
            if isinstance(group, T.ClusterVmGroup):
                members, known = group.vm, vms
            elif isinstance(group, T.ClusterHostGroup):
                members, known = group.host, hosts
            else:   # a group is of VMs or of hosts
                raise _invalid('spec.groupSpec.info')
            for ref in members or ():
                if ref.value not in known:
                    raise _invalid('spec.groupSpec.info')
        vm_groups = {n for n, g in self.groups.items() if isinstance(g, T.ClusterVmGroup)}
        host_groups = {n for n, g in self.groups.items() if isinstance(g, T.ClusterHostGroup)}
        for rule in self.rules.values():
            if not rule.name:
                raise _invalid('spec.rulesSpec.info.name')
            if isinstance(rule, (T.ClusterAffinityRuleSpec, T.ClusterAntiAffinityRuleSpec)):
                members = [ref.value for ref in rule.vm or ()]
                if len(members) < 2 or len(set(members)) != len(members):
                    raise _invalid('spec.rulesSpec.info.vm')
                if not set(members) <= vms:
                    raise _invalid('spec.rulesSpec.info.vm')
            elif isinstance(rule, T.ClusterVmHostRuleInfo):
                targets = [n for n in (rule.affineHostGroupName, rule.antiAffineHostGroupName)
                           if n]
                if rule.vmGroupName not in vm_groups or len(targets) != 1 \
                        or targets[0] not in host_groups:
                    raise _invalid('spec.rulesSpec.info')
            elif isinstance(rule, T.ClusterDependencyRuleInfo):
                if rule.vmGroup not in vm_groups or rule.dependsOnVmGroup not in vm_groups \
                        or rule.vmGroup == rule.dependsOnVmGroup:
                    raise _invalid('spec.rulesSpec.info')
            else:
                raise _invalid('spec.rulesSpec.info')
        _check_acyclic(self.rules.values(), T)
        for attr, known in (('drs_vm', vms), ('das_vm', vms), ('vm_orchestration', vms),
                            ('dpm_host', hosts)):
            for key in getattr(self, attr):
                if key not in known:
                    raise _invalid('spec.%s.info.key' % ARRAYS[attr].field)

    # -- reading --------------------------------------------------------------------------
    def _present(self, cluster, infos, key_field):
        """The overrides whose entity still exists (a VM that left the
        inventory takes its overrides with it)."""
        objects = cluster.server.objects
        return [info for info in infos.values() if objects.get(getattr(info, key_field))
                is not None]

    def rule_list(self, cluster):
        objects = cluster.server.objects
        out = []
        for rule in self.rules.values():
            if getattr(rule, 'vm', None):
                rule = copy.copy(rule)
                rule.vm = [ref for ref in rule.vm if objects.get(ref) is not None]
            out.append(rule)
        return out

    def group_list(self, cluster):
        objects = cluster.server.objects
        out = []
        for group in self.groups.values():
            members = 'vm' if hasattr(group, 'vm') else 'host'
            group = copy.copy(group)
            setattr(group, members, [ref for ref in getattr(group, members) or ()
                                     if objects.get(ref) is not None])
            out.append(group)
        return out

    def rules_naming(self, cluster, vm_ref):
        groups = {name for name, group in self.groups.items()
                  if vm_ref in (getattr(group, 'vm', None) or ())}
        return [rule for rule in self.rule_list(cluster)
                if vm_ref in (getattr(rule, 'vm', None) or ())
                or getattr(rule, 'vmGroupName', None) in groups
                or getattr(rule, 'vmGroup', None) in groups
                or getattr(rule, 'dependsOnVmGroup', None) in groups]

    def info(self, T, cluster):
        return T.ClusterConfigInfoEx(
            dasConfig=self.das, dasVmConfig=self._present(cluster, self.das_vm, 'key'),
            drsConfig=self.drs, drsVmConfig=self._present(cluster, self.drs_vm, 'key'),
            rule=self.rule_list(cluster), orchestration=self.orchestration,
            vmOrchestration=self._present(cluster, self.vm_orchestration, 'vm'),
            dpmConfigInfo=self.dpm, dpmHostConfig=self._present(cluster, self.dpm_host, 'key'),
            vsanConfigInfo=self.vsan,
            vsanHostConfig=[h.managers['vsanSystem'].config for h in cluster.hosts],
            group=self.group_list(cluster), infraUpdateHaConfig=self.infra_update_ha,
            proactiveDrsConfig=self.proactive_drs, cryptoConfig=self.crypto,
            **self.base_fields())

    def legacy_info(self, T, cluster):
        """ClusterConfigInfo, the deprecated `configuration`."""
        return T.ClusterConfigInfo(
            dasConfig=self.das, dasVmConfig=self._present(cluster, self.das_vm, 'key'),
            drsConfig=self.drs, drsVmConfig=self._present(cluster, self.drs_vm, 'key'),
            rule=self.rule_list(cluster))

    def changes(self, T, before, cluster):
        modified = []
        for label, attr in (('dasConfig', 'das'), ('drsConfig', 'drs'),
                            ('dpmConfigInfo', 'dpm'), ('orchestration', 'orchestration'),
                            ('vsanConfigInfo', 'vsan'),
                            ('infraUpdateHaConfig', 'infra_update_ha'),
                            ('proactiveDrsConfig', 'proactive_drs'),
                            ('cryptoConfig', 'crypto')):
            modified.extend(differences('configurationEx.' + label, getattr(before, attr),
                                        getattr(self, attr)))
        modified.extend(differences('configurationEx', ComputeResourceSettings.info(
            before, T, cluster), ComputeResourceSettings.info(self, T, cluster)))
        added, deleted = [], []
        for attr, array in ARRAYS.items():
            old, new = getattr(before, attr), getattr(self, attr)
            for key in new:
                path = 'configurationEx.%s[%s]' % (array.label, key)
                if key not in old:
                    added.append(path)
                elif old[key] is not new[key] and old[key] != new[key]:
                    modified.append(path)
            deleted.extend('configurationEx.%s[%s]' % (array.label, key)
                           for key in old if key not in new)
        return modified, added, deleted


def _check_acyclic(rules, T):
    """Dependency rules may not wait in a circle (ClusterOrchestrationInfo):
    groups that wait for no group are taken away until none is left."""
    awaits = {}
    for rule in rules:
        if isinstance(rule, T.ClusterDependencyRuleInfo):
            awaits.setdefault(rule.vmGroup, set()).add(rule.dependsOnVmGroup)
            awaits.setdefault(rule.dependsOnVmGroup, set())
    waited_by = {}
    for group, awaited in awaits.items():
        for other in awaited:
            waited_by.setdefault(other, []).append(group)
    free = [group for group, awaited in awaits.items() if not awaited]
    left = {group: len(awaited) for group, awaited in awaits.items()}
    while free:
        for group in waited_by.get(free.pop(), ()):
            left[group] -= 1
            if not left[group]:
                free.append(group)
    if any(left.values()):
        raise _invalid('spec.rulesSpec.info.dependsOnVmGroup')


def _rule_uuid(key):
    return '%08x-0000-4000-8000-%012x' % (key, key)


def cluster_vms(cluster):
    """The VMs of a compute resource: those on its hosts and those in its pools
    (templates and powered-off VMs included)."""
    seen = {}
    for host in cluster.hosts:
        for vm in host.vms:
            seen.setdefault(vm.ref.value, vm)
    pool = cluster.pool
    if pool is not None:
        for vm in pool.all_vms():
            seen.setdefault(vm.ref.value, vm)
    return list(seen.values())
