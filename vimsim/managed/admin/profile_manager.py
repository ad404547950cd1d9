"""ProfileManager and its two kinds, HostProfileManager and
ClusterProfileManager: the host and cluster configuration profiles (none
on a fresh vCenter) and the compliance results of each (profile, entity).

HostProfileManager makes host profiles from a reference host, a complete
tree or an exported document, keeps the hosts' answer files (the input a
profile asks of a host: VMkernel NIC addresses, new users' passwords), and
applies a HostConfigSpec to a host through the host's own managers
(UpdateNetworkConfig, CreateNasDatastore/RemoveDatastore,
UpdateDateTimeConfig, the firewall's and services' calls, UpdateOptions,
CreateUser/UpdateUser), so property filters see every change and the
managers post their events. ApplyHostConfig_Task needs the host in
maintenance mode (InvalidState); a manager refusing a part fails the task
with HostConfigFailed, the parts before it applied.
"""
from vimsim import clock
from vimsim.managed.admin.cluster_profile import ClusterProfile, cluster_services
from vimsim.managed.admin.host_profile import HostProfile
from vimsim.managed.admin.host_profile_composition import DIFFS, compose, diff_tree
from vimsim.managed.admin.host_profile_inputs import PASSWORD, given, inputs
from vimsim.managed.admin.host_profile_settings import (
    SERVICE_POLICIES, apply_profile, default_profile, host_argument, host_settings,
    policy_metadata, profile_metadata, settings_of, structure)
from vimsim.managed.admin.profile import duplicate_name, export_xml, import_xml, make, message
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.monitoring.task import run_task
from vimsim.soap.fault import InvalidArgument, fault, localized

# HostConfigSpec parts ApplyHostConfig_Task applies; the others answer NotSupported
APPLIED = ('network', 'nasDatastore', 'datetime', 'firewall', 'service', 'option',
           'userAccount')
ENTITY_TYPES = ('HostSystem', 'ClusterComputeResource')     # what profiles attach to


def not_supported(what):
    return fault('NotSupported', 'The operation is not supported: %s.' % what)


def compliance_task(ctx, pairs, method, this):
    """A task checking each (profile, entity) of `pairs`; its result the
    ComplianceResults."""
    def work(task):
        results = [profile.manager.check(ctx, profile, target) for profile, target in pairs]
        for profile in {profile for profile, _ in pairs}:
            profile.changed('complianceStatus')
        return results
    return run_task(ctx, None, method, work, this=this)


class ProfileManager(Manager):
    """What the host and cluster profile managers share: their profiles,
    the compliance results of each (profile, entity) checked, the names."""
    type_name = 'ProfileManager'

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.profile = []
        self.compliance = {}         # (profile ref, entity ref) -> ComplianceResult

    @property
    def types(self):
        return self.server.schema.types

    def profiles(self):
        return [self.server.objects.get(ref) for ref in self.profile]

    def profiles_of(self, ref):
        return [p for p in self.profiles() if ref in p.attached]

    def check_name(self, name):
        for profile in self.profiles():
            if profile.name == name:
                raise duplicate_name(name, profile.ref)

    def forget(self, profile):
        self.profile.remove(profile.ref)
        self.clear_results(profile)
        self.changed('profile')

    # -- compliance results ----------------------------------------------------------------
    def results_of(self, profile):
        targets = {target.ref for target in profile.targets()}
        return [result for (ref, target), result in self.compliance.items()
                if ref == profile.ref and target in targets]

    def clear_results(self, profile, entity=None):
        obj = self.server.objects.get(entity) if entity is not None else None
        within = None if obj is None else {t.ref for t in profile.targets_within(obj)}
        for key in [k for k in self.compliance if k[0] == profile.ref and
                    (within is None or k[1] in within)]:
            del self.compliance[key]

    def pairs(self, profiles, entities):
        """(profile, entity) to check: the profiles' targets (all profiles'
        when none are named) within the entities named (all when none are)."""
        objects = [self.server.objects.resolve(ref) for ref in entities]
        if any(ref.type not in ENTITY_TYPES for ref in entities):
            raise InvalidArgument('entity')
        out = []
        for profile in profiles or self.profiles():
            wanted = [t for obj in objects for t in profile.targets_within(obj)]
            out.extend((profile, target) for target in profile.targets()
                       if not entities or target in wanted)
        return out

    def check_compliance(self, ctx, profiles, entities, method, this):
        return compliance_task(ctx, self.pairs(profiles, entities), method, this)

    def check(self, ctx, profile, target):
        """Check `target` against `profile` now; the result is kept and the events posted."""
        failures = profile.failures(target)
        status = 'unknown' if failures is None else 'nonCompliant' if failures else 'compliant'
        result = make(self.types, 'ComplianceResult', profile=profile.ref,
                      complianceStatus=status, entity=target.ref, checkTime=clock.now(),
                      failure=failures or [])
        self.compliance[(profile.ref, target.ref)] = result
        profile.checked(ctx, target, status)
        return result

    # -- ProfileManager --------------------------------------------------------------------
    def CreateProfile(self, ctx, createSpec):
        make_profile, name = self.profile_maker(ctx, createSpec)      # checks the spec
        if not name:
            raise InvalidArgument('createSpec.name')
        self.check_name(name)
        profile = make_profile()
        self.profile.append(profile.ref)
        self.changed('profile')
        profile.post(ctx, 'ProfileCreatedEvent')
        return profile.ref

    def profile_maker(self, ctx, spec):
        """(a function making the profile `spec` describes, its name): the
        spec checked."""
        raise NotImplementedError

    def FindAssociatedProfile(self, ctx, entity):
        self.server.objects.resolve(entity)
        return [p.ref for p in self.profiles_of(entity)]

    def QueryPolicyMetadata(self, ctx, policyName=(), profile=None):
        self.profile_or_none(profile)
        return self.policies(set(policyName))

    def policies(self, names):
        return []

    def profile_or_none(self, ref):
        if ref is not None and self.server.objects.resolve(ref).ref not in self.profile:
            raise InvalidArgument('profile')


@manager_type('ClusterProfileManager')
class ClusterProfileManager(ProfileManager):
    """Cluster profiles: the cluster services (DRS, HA, DPM, FT) their
    clusters must run; they have no policies."""

    def profile_maker(self, ctx, spec):
        types = self.types
        if not isinstance(spec, types['ClusterProfileCreateSpec'].cls):
            raise InvalidArgument('createSpec')
        services = cluster_services(spec)
        return (lambda: ClusterProfile(self.server,
                                       self.server.objects.next_id('clusterprofile-'), self,
                                       spec, services)), spec.name


@manager_type('HostProfileManager')
class HostProfileManager(ProfileManager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.answer_files = {}       # host ref -> AnswerFile
        self.answer_status = {}      # host ref -> AnswerFileStatusResult

    def host(self, ref):
        return host_argument(self.server, ref)

    def profile_of_host(self, host):
        """The host profile that applies to `host` (attached to it or its cluster)."""
        return next((p for p in self.profiles() if host in p.targets()), None)

    def profile_maker(self, ctx, spec):
        """From a reference host, a complete tree, or an exported profile
        (ExportProfile's document; the spec's name, if any, replaces its)."""
        types = self.types
        described, reference = spec, None
        if isinstance(spec, types['HostProfileHostBasedConfigSpec'].cls):
            reference = self.host(spec.host)
            reference._require_connected()
            tree = apply_profile(types, host_settings(reference))
        elif isinstance(spec, types['HostProfileCompleteConfigSpec'].cls):
            tree = spec.applyProfile
        elif isinstance(spec, types['ProfileSerializedCreateSpec'].cls):
            described = import_xml(ctx, spec.profileConfigString, 'HostProfileConfigInfo',
                                   'createSpec.profileConfigString')
            described.name = spec.name or described.name
            tree = described.applyProfile
        else:
            raise not_supported('a %s' % spec._type.name)
        if tree is None:
            raise InvalidArgument('createSpec.applyProfile')
        settings_of(types, tree)             # ProfileUpdateFailed
        return (lambda: HostProfile(self.server, self.server.objects.next_id('hostprofile-'),
                                    self, described, reference, tree)), described.name

    def policies(self, names):
        return policy_metadata(self.types, names)

    def QueryHostProfileMetadata(self, ctx, profileName=(), profile=None):
        self.profile_or_none(profile)
        return profile_metadata(self.types, set(profileName))

    def CreateDefaultProfile(self, ctx, profileType, profileTypeName=None, profile=None):
        """A new sub-profile of `profileType` to fill in and add to a tree."""
        self.profile_or_none(profile)
        made = default_profile(self.types, profileType)
        if made is None:
            raise InvalidArgument('profileType')
        return made

    def QueryProfileStructure(self, ctx, profile=None):
        """Every host profile has the same structure (the families it holds)."""
        self.profile_or_none(profile)
        return structure(self.types)

    # -- answer files ----------------------------------------------------------------------
    def answers(self, host_ref):
        """{input path: {parameter: value}} of a host's answer file."""
        found = self.answer_files.get(host_ref)
        return given(found.userInput) if found is not None else {}

    def answer_file(self, host, paths=None):
        """A copy of the host's answer file (None when it has none), the
        answers to `paths` only when given, passwords hidden (vCenter
        answers security-sensitive parameters without their values)."""
        found = self.answer_files.get(host.ref)
        if found is None:
            return None
        types = self.types
        return make(types, 'AnswerFile', createdTime=found.createdTime,
                    modifiedTime=found.modifiedTime, userInput=[
                        make(types, 'ProfileDeferredPolicyOptionParameter',
                             inputPath=item.inputPath, parameter=[
                                 make(types, 'KeyAnyValue', key=kv.key,
                                      value='' if kv.key == PASSWORD else kv.value)
                                 for kv in item.parameter])
                        for item in found.userInput
                        if paths is None or item.inputPath.profilePath in paths])

    def store_answers(self, host, user_input):
        """Keep `user_input` in the host's answer file (an input given again replaces)."""
        if not user_input:
            return
        now = clock.now()
        found = self.answer_files.get(host.ref)
        if found is None:
            found = self.answer_files[host.ref] = make(self.types, 'AnswerFile', userInput=[],
                                                       createdTime=now, modifiedTime=now)
        given = {item.inputPath.profilePath for item in user_input}
        found.userInput = [item for item in found.userInput
                           if item.inputPath.profilePath not in given] + list(user_input)
        found.modifiedTime = now

    def UpdateAnswerFile_Task(self, ctx, host, configSpec):
        target = self.host(host)
        types = self.types
        if isinstance(configSpec, types['AnswerFileOptionsCreateSpec'].cls):
            user_input = configSpec.userInput
        elif isinstance(configSpec, types['AnswerFileSerializedCreateSpec'].cls):
            user_input = import_xml(ctx, configSpec.answerFileConfigString, 'AnswerFile',
                                    'configSpec.answerFileConfigString').userInput
        else:
            raise not_supported('a %s' % configSpec._type.name)

        def work(task):
            self.store_answers(target, user_input)
            self.answer_status.pop(target.ref, None)
        return run_task(ctx, target, 'UpdateAnswerFile_Task', work, this=self)

    def RetrieveAnswerFile(self, ctx, host):
        return self.answer_file(self.host(host))

    def RetrieveAnswerFileForProfile(self, ctx, host, applyProfile):
        return self.answers_for(self.host(host), applyProfile)

    def answers_for(self, host, tree):
        """The host's answer file with the answers to what `tree` asks only."""
        asked = {item.path for item in inputs(settings_of(self.types, tree),
                                              host_settings(host))}
        return self.answer_file(host, asked)

    def answer_file_status(self, host):
        """Whether the host's answer file answers what its profile asks."""
        types = self.types
        profile = self.profile_of_host(host)
        errors = []
        if profile is not None:
            result = profile.ExecuteHostProfile(None, host.ref, [])
            if result.status == 'needInput':
                errors = [make(types, 'AnswerFileStatusError', userInputPath=item.inputPath,
                               errMsg=message(types, 'com.vmware.profile.answerFile.missing',
                                              'No answer for %s' % item.inputPath.profilePath))
                          for item in result.requireInput]
            elif result.status == 'error':
                errors = [make(types, 'AnswerFileStatusError', userInputPath=error.path,
                               errMsg=error.message) for error in result.error]
        return make(types, 'AnswerFileStatusResult', checkedTime=clock.now(), host=host.ref,
                    status='unknown' if profile is None else 'invalid' if errors else 'valid',
                    error=errors)

    def QueryAnswerFileStatus(self, ctx, host):
        types = self.types
        return [self.answer_status.get(target.ref) or make(
            types, 'AnswerFileStatusResult', checkedTime=clock.now(), host=target.ref,
            status='unknown') for target in [self.host(ref) for ref in host]]

    def CheckAnswerFileStatus_Task(self, ctx, host):
        targets = [self.host(ref) for ref in host]

        def work(task):
            for target in targets:
                self.answer_status[target.ref] = self.answer_file_status(target)
            return [self.answer_status[target.ref] for target in targets]
        return run_task(ctx, None, 'CheckAnswerFileStatus_Task', work, this=self)

    def ExportAnswerFile_Task(self, ctx, host):
        """The host's answer file as the XML of an AnswerFile (empty when none)."""
        target = self.host(host)

        def work(task):
            found = self.answer_file(target)
            return export_xml(ctx, 'answerFile', found) if found is not None else ''
        return run_task(ctx, target, 'ExportAnswerFile_Task', work, this=self)

    def RetrieveHostCustomizations(self, ctx, hosts=()):
        return [make(self.types, 'StructuredCustomizations', entity=target.ref,
                     customizations=self.answer_file(target))
                for target in [self.host(ref) for ref in hosts]]

    def RetrieveHostCustomizationsForProfile(self, ctx, applyProfile, hosts=()):
        targets = [self.host(ref) for ref in hosts]
        return [make(self.types, 'StructuredCustomizations', entity=target.ref,
                     customizations=self.answers_for(target, applyProfile))
                for target in targets]

    # -- remediation -----------------------------------------------------------------------
    # -- composition ---------------------------------------------------------------------
    def _composition(self, source, targets):
        found = self.server.objects.resolve(source)
        profiles = [self.server.objects.resolve(ref) for ref in targets]
        if not isinstance(found, HostProfile):
            raise InvalidArgument('source')
        if any(not isinstance(p, HostProfile) or p is found for p in profiles):
            raise InvalidArgument('targets')
        return found, profiles

    def CompositeHostProfile_Task(self, ctx, source, targets=(), toBeMerged=None,
                                  toBeReplacedWith=None, toBeDeleted=None,
                                  enableStatusToBeCopied=None):
        """The source's selected sub-profiles into each target; a target
        with an error stays as it is."""
        types = self.types
        source_profile, profiles = self._composition(source, targets)

        def work(task):
            results = []
            for target, tree, errors, _ in _composed(
                    types, source_profile, profiles, toBeMerged, toBeReplacedWith,
                    toBeDeleted, enableStatusToBeCopied):
                if tree is not None:
                    target.tree = tree
                    self.clear_results(target)
                    target.touched('config', 'description', 'complianceStatus')
                    target.post(ctx, 'ProfileChangedEvent')
                results.append(make(types, 'HostProfileManagerCompositionResultResultElement',
                                    target=target.ref, status='error' if errors else 'success',
                                    errors=[message(types, 'com.vmware.profile.compose', text)
                                            for text in errors]))
            return make(types, 'HostProfileManagerCompositionResult', results=results)
        return run_task(ctx, None, 'CompositeHostProfile_Task', work, this=self)

    def ValidateHostProfileComposition_Task(self, ctx, source, targets=(), toBeMerged=None,
                                            toReplaceWith=None, toBeDeleted=None,
                                            enableStatusToBeCopied=None, errorOnly=False):
        """What the composition would change in each target (nothing changes)."""
        types = self.types
        source_profile, profiles = self._composition(source, targets)

        def work(task):
            results = []
            for target, _, errors, diffs in _composed(
                    types, source_profile, profiles, toBeMerged, toReplaceWith, toBeDeleted,
                    enableStatusToBeCopied):
                element = make(types, 'HostProfileManagerCompositionValidationResultResultElement',
                               target=target.ref, status='error' if errors else 'success',
                               errors=[message(types, 'com.vmware.profile.compose', text)
                                       for text in errors])
                if not errorOnly:
                    for name in DIFFS:
                        setattr(element, name, diff_tree(types, diffs[name]))
                results.append(element)
            return make(types, 'HostProfileManagerCompositionValidationResult', results=results)
        return run_task(ctx, None, 'ValidateHostProfileComposition_Task', work, this=self)

    def GenerateConfigTaskList(self, ctx, configSpec, host):
        target = self.host(host)
        return make(self.types, 'HostProfileManagerConfigTaskList', configSpec=configSpec,
                    taskDescription=[message(self.types, 'com.vmware.profile.task.' + part, text)
                                     for part, text in _changes(configSpec)],
                    taskListRequirement=['maintenanceModeRequired'] if not target.maintenance
                    else [])

    def GenerateHostProfileTaskList_Task(self, ctx, configSpec, host):
        result = self.GenerateConfigTaskList(ctx, configSpec, host)
        return run_task(ctx, self.host(host), 'GenerateHostProfileTaskList_Task',
                        lambda task: result, this=self)

    def ApplyHostConfig_Task(self, ctx, host, configSpec, userInput=()):
        target = self.host(host)
        target._require_connected()
        if not target.maintenance:
            raise fault('InvalidState', 'The operation is not allowed in the current state: '
                        'the host is not in maintenance mode.')
        check_applicable(configSpec)
        return run_task(ctx, target, 'ApplyHostConfig_Task',
                        lambda task: self.apply_to(ctx, target, configSpec, userInput,
                                                   task.post_event), this=self)

    def apply_to(self, ctx, host, spec, user_input, post):
        """Apply `spec`, keep `user_input` in the answer file, post
        HostProfileAppliedEvent (with `post`) when a profile applies to the host."""
        self.apply(ctx, host, spec)
        self.store_answers(host, user_input)
        profile = self.profile_of_host(host)
        if profile is not None:
            post('HostProfileAppliedEvent', host, profile=profile.event_argument())

    def GenerateHostConfigTaskSpec_Task(self, ctx, hostsInfo=()):
        """Per host, what its profile would change, given its customizations
        (the answer file's answers, replaced by those given)."""
        targets = [(self.host(info.entity), info.customizations) for info in hostsInfo]

        def work(task):
            return [self.host_config_spec(target, customizations)
                    for target, customizations in targets]
        return run_task(ctx, None, 'GenerateHostConfigTaskSpec_Task', work, this=self)

    def host_config_spec(self, host, customizations):
        types = self.types
        profile = self.profile_of_host(host)
        if profile is None:
            return make(types, 'ApplyHostProfileConfigurationSpec', host=host.ref,
                        status='error', error=[make(
                            types, 'ProfileExecuteError', message=message(
                                types, 'com.vmware.profile.noProfile',
                                'No host profile is attached to %s' % host.name))])
        given = customizations.userInput if customizations is not None else []
        result = profile.ExecuteHostProfile(None, host.ref, given)
        spec = make(types, 'ApplyHostProfileConfigurationSpec', host=host.ref,
                    status=result.status, configSpec=result.configSpec,
                    requireInput=result.requireInput, error=result.error,
                    rebootHost=False, rebootStateless=False)
        if result.configSpec is not None:
            tasks = self.GenerateConfigTaskList(None, result.configSpec, host.ref)
            spec.taskDescription = tasks.taskDescription
            spec.taskListRequirement = tasks.taskListRequirement
        return spec

    def ApplyEntitiesConfig_Task(self, ctx, applyConfigSpecs=()):
        """Each host's spec applied in turn, a result per host: a host not in
        maintenance mode is left as it is (state_not_satisfied; vimsim's
        DRS does not move a host's VMs away for it)."""
        targets = [(self.host(spec.host), spec) for spec in applyConfigSpecs]
        for _, spec in targets:
            if spec.configSpec is not None:
                check_applicable(spec.configSpec)

        def work(task):
            return [self.apply_entity(ctx, target, spec, task.post_event)
                    for target, spec in targets]
        return run_task(ctx, None, 'ApplyEntitiesConfig_Task', work, this=self)

    def apply_entity(self, ctx, host, spec, post):
        types = self.types
        started, errors = clock.now(), []
        if host.connection_state != 'connected' or spec.status != 'success' or \
                spec.configSpec is None:
            status = 'failed'
            errors = [localized(fault('HostNotConnected', 'The host is not connected.'))] \
                if host.connection_state != 'connected' else \
                [localized(fault('InvalidArgument', 'The spec of %s is not ready to apply: %s.'
                                 % (host.name, spec.status), invalidProperty='status'))]
        elif not host.maintenance:
            status = 'state_not_satisfied'
        else:
            try:
                self.apply_to(ctx, host, spec.configSpec, spec.requireInput, post)
                status = 'success'
            except types['HostConfigFailed'].cls as error:
                status, errors = 'failed', list(error.failure)
        return make(types, 'ApplyHostProfileConfigurationResult', startTime=started,
                    completeTime=clock.now(), host=host.ref, status=status, errors=errors)

    def apply(self, ctx, host, spec):
        """Each part through the host's manager; a refusal is HostConfigFailed."""
        try:
            _apply(ctx, host, spec)
        except self.types['MethodFault'].cls as error:
            failed = fault('HostConfigFailed', 'The host configuration failed.')
            failed.failure = [localized(error)]
            raise failed from None


def _composed(types, source, targets, merge, replace, delete, enable):
    """(target, its new tree or None, errors, diffs) of a composition."""
    out = []
    for target in targets:
        tree, diffs, errors = compose(types, source.tree, target.tree, merge, replace, delete,
                                      enable)
        if not errors:
            try:
                settings_of(types, tree)
            except types['ProfileUpdateFailed'].cls as failed:
                errors = [item.errMsg.message for item in failed.failure]
        out.append((target, None if errors else tree, errors, diffs))
    return out


def check_applicable(spec):
    """NotSupported for a HostConfigSpec part a host profile does not apply."""
    for field in spec._type.fields:
        value = getattr(spec, field.name)
        if field.name not in APPLIED and value not in (None, []) and \
                field.name not in ('dynamicType', 'dynamicProperty'):
            raise not_supported('%s in a host profile' % field.name)


def _changes(spec):
    """(part, what it does) of a HostConfigSpec, for a task list."""
    out = []
    network = spec.network
    if network is not None:
        for item in network.vswitch:
            out.append(('network', '%s virtual switch %s' % (item.changeOperation or 'edit',
                                                            item.name)))
        for item in network.portgroup:
            out.append(('network', '%s port group %s' % (item.changeOperation or 'edit',
                                                        item.spec.name if item.spec else '')))
        for item in network.vnic:
            out.append(('network', '%s VMkernel NIC on %s' % (item.changeOperation or 'edit',
                                                             item.portgroup or item.device)))
        if network.dnsConfig is not None:
            out.append(('network', 'update the DNS configuration'))
    for item in spec.nasDatastore:
        out.append(('storage', '%s NFS datastore %s' % (
            item.changeOperation, item.spec.localPath if item.spec else '')))
    if spec.datetime is not None:
        out.append(('datetime', 'update the date and time configuration'))
    if spec.firewall is not None:
        out.extend(('firewall', '%s firewall ruleset %s' % (
            'enable' if rule.enabled else 'disable', rule.rulesetId))
            for rule in spec.firewall.rule)
    out.extend(('service', 'set the startup policy of %s to %s' % (s.serviceId, s.startupPolicy))
               for s in spec.service)
    out.extend(('option', 'set %s' % option.key) for option in spec.option)
    out.extend(('userAccount', 'configure user %s' % user.id) for user in spec.userAccount)
    return out


def _apply(ctx, host, spec):
    managers = host.managers
    if spec.network is not None:
        managers['networkSystem'].UpdateNetworkConfig(ctx, spec.network, 'modify')
    datastores = managers['datastoreSystem']
    for item in spec.nasDatastore:
        if item.spec is None or item.changeOperation not in ('add', 'remove'):
            raise InvalidArgument('configSpec.nasDatastore')
        if item.changeOperation == 'remove':
            found = next((ds for ds in host.datastores if ds.name == item.spec.localPath), None)
            if found is None:
                raise fault('NotFound', 'The datastore %s is not mounted.' % item.spec.localPath)
            datastores.RemoveDatastore(ctx, found.ref)
        else:
            datastores.CreateNasDatastore(ctx, item.spec)
    if spec.datetime is not None:
        managers['dateTimeSystem'].UpdateDateTimeConfig(ctx, spec.datetime)
    if spec.firewall is not None:
        firewall = managers['firewallSystem']
        firewall.UpdateDefaultPolicy(ctx, spec.firewall.defaultBlockingPolicy)
        for rule in spec.firewall.rule:
            (firewall.EnableRuleset if rule.enabled else firewall.DisableRuleset)(
                ctx, rule.rulesetId)
            if rule.allowedHosts is not None:
                firewall.UpdateRuleset(ctx, rule.rulesetId, host.T.HostFirewallRulesetRulesetSpec(
                    allowedHosts=rule.allowedHosts))
    services = managers['serviceSystem']
    for item in spec.service:
        if item.startupPolicy not in SERVICE_POLICIES:
            raise InvalidArgument('configSpec.service.startupPolicy')
        services.UpdateServicePolicy(ctx, item.serviceId, item.startupPolicy)
        if item.startupPolicy == 'on' and not services.is_running(item.serviceId):
            services.StartService(ctx, item.serviceId)
    if spec.option:
        managers['advancedOption'].UpdateOptions(ctx, changedValue=spec.option)
    accounts = managers['accountManager']
    for user in spec.userAccount:
        (accounts.UpdateUser if user.id in accounts.accounts else accounts.CreateUser)(ctx, user)
