"""HostProfile: a host's configuration taken from a reference host
(host_profile_settings.py has what it holds), the hosts and clusters it is
attached to, and what applying it to a host would change.

The tree (`config.applyProfile`) is the profile: CreateProfile and
UpdateHostProfile with a host-based spec take it from the reference host
as it is then, a complete spec replaces it (checked: ProfileUpdateFailed).
A host is attached to one host profile at most (attaching it to another
moves it); a cluster's hosts are checked and remediated as the cluster's.
Compliance results are the HostProfileManager's (`compliance`), so the
ProfileComplianceManager and CheckProfileCompliance_Task share them.
"""
from vimsim import clock
from vimsim.managed.admin.host_profile_inputs import (PASSWORD_INPUT, checked, given,
                                                      input_path, inputs, parameter, proposal)
from vimsim.managed.admin.host_profile_settings import (
    FAMILIES, apply_profile, compliance_failures, config_spec, host_settings, instance_name,
    instances, profile_path, settings_of)
from vimsim.managed.admin.profile import Profile, make, message
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.soap.fault import InvalidArgument


class HostProfile(Profile):
    type_name = 'HostProfile'
    attachable = ('HostSystem', 'ClusterComputeResource')
    config_type = 'HostProfileConfigInfo'

    def __init__(self, server, moid, manager, spec, reference, tree):
        super().__init__(server, moid, manager, spec)
        self.referenceHost = reference.ref if reference is not None else None
        self.tree = tree
        self.validationState = 'Ready'
        self.validationStateUpdateTime = self.createdTime
        self.validationFailureInfo = None
        self.complianceCheckTime = None

    def config_fields(self):
        return {'applyProfile': self.tree}

    def targets_within(self, entity):
        """A host, or the hosts of a cluster."""
        return [entity] if entity.type_name == 'HostSystem' else list(entity.hosts)

    def settings(self):
        return settings_of(self.types, self.tree)

    def failures(self, host):
        """None (unknown) for a host that is not connected."""
        if host.connection_state != 'connected':
            return None
        return compliance_failures(self.types, self.settings(), host_settings(host))

    def checked(self, ctx, host, status):
        self.complianceCheckTime = clock.now()
        self.changed('complianceCheckTime')
        self.post(ctx, 'HostComplianceCheckedEvent', host)
        if status != 'unknown':
            event_manager(self.server).post(
                'HostCompliantEvent' if status == 'compliant' else 'HostNonCompliantEvent',
                host, ctx=ctx)

    def sections(self):
        """A section per sub-profile the tree holds, in the tree's order."""
        sections = []
        for family in FAMILIES:
            for profile in instances(family, self.tree) or []:
                name = instance_name(family, profile)
                label = '%s %s' % (family.label, name) if name else family.label
                state = 'enabled' if profile.enabled else 'disabled (not checked)'
                sections.append(make(
                    self.types, 'ProfileDescriptionSection',
                    description=make(self.types, 'ExtendedElementDescription',
                                     key=profile_path(family, name), label=label,
                                     summary='%s, %s' % (label, state),
                                     messageCatalogKeyPrefix='com.vmware.profile.' +
                                     family.type_name),
                    message=[message(self.types, 'com.vmware.profile.%s.parameter' %
                                     family.type_name, '%s = %r' % (param.key, param.value))
                             for part in family.parts if part.policy is not None
                             for policy in _part_of(profile, part).policy
                             for param in policy.policyOption.parameter]))
        return sections

    # -- HostProfile -----------------------------------------------------------------------
    def HostProfileResetValidationState(self, ctx):
        self.validationState, self.validationFailureInfo = 'Ready', None
        self.validationStateUpdateTime = clock.now()
        self.changed('validationState', 'validationFailureInfo', 'validationStateUpdateTime')

    def UpdateReferenceHost(self, ctx, host=None):
        previous = self.server.objects.get(self.referenceHost) if self.referenceHost else None
        reference = self.manager.host(host) if host is not None else None
        self.referenceHost = host
        self.touched('referenceHost')
        self.post(ctx, 'ProfileReferenceHostChangedEvent', referenceHost=host,
                  referenceHostName=reference.name if reference is not None else None,
                  prevReferenceHostName=previous.name if previous is not None else None)

    def UpdateHostProfile(self, ctx, config):
        types = self.types
        if isinstance(config, types['HostProfileHostBasedConfigSpec'].cls):
            reference = self.manager.host(config.host)
            tree = apply_profile(types, host_settings(reference))
        elif isinstance(config, types['HostProfileCompleteConfigSpec'].cls):
            reference, tree = None, config.applyProfile
            if tree is not None:
                settings_of(types, tree)           # ProfileUpdateFailed
        elif type(config) is types['HostProfileConfigSpec'].cls:
            reference, tree = None, None
        else:
            raise InvalidArgument('config')
        self.rename(config)
        if reference is not None:
            self.referenceHost = reference.ref
        if tree is not None:
            self.tree = tree
            self.manager.clear_results(self)
        self.touched('name', 'config', 'description', 'referenceHost', 'complianceStatus')
        self.post(ctx, 'ProfileChangedEvent')

    def ExecuteHostProfile(self, ctx, host, deferredParam=()):
        """What applying the profile to `host` changes (configSpec) or the
        input it still needs (needInput; host_profile_inputs.py), the
        answers from `deferredParam`, else the host's answer file. A
        success lists the inputs answered (passwords left out: the
        configSpec carries them)."""
        target = self.manager.host(host)
        types = self.types
        wanted, have = self.settings(), host_settings(target)
        stored, sent = self.manager.answers(target.ref), given(deferredParam)
        answers, asked, errors = {}, [], []
        needed = inputs(wanted, have)
        for item in needed:
            values = sent.get(item.path) or stored.get(item.path)
            if values is None:
                asked.append(parameter(types, item, proposal(target, item)))
                continue
            try:
                answers[item.family, item.name] = checked(item, values)
            except ValueError as error:
                errors.append(make(types, 'ProfileExecuteError', path=input_path(types, item),
                                   message=message(types, 'com.vmware.profile.input',
                                                   str(error))))
        if errors:
            return make(types, 'ProfileExecuteResult', status='error', error=errors)
        if asked:
            return make(types, 'ProfileExecuteResult', status='needInput', requireInput=asked)
        spec = config_spec(types, target, wanted, have, answers)
        return make(types, 'ProfileExecuteResult', status='success',
                    configSpec=spec or make(types, 'HostConfigSpec'),
                    requireInput=[parameter(types, item, answers[item.family, item.name])
                                  for item in needed if item.option != PASSWORD_INPUT])


def _part_of(profile, part):
    return profile if part.child is None else getattr(profile, part.child)
