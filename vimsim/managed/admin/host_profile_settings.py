"""What a host profile holds: a host's settings, read from the model, as
the HostApplyProfile tree vCenter's host profiles show, compared with a
host's, and turned into the HostConfigSpec that makes a host match.

A setting belongs to a family (the vSwitches, the VM port groups, the NFS
mounts, the firewall rulesets, ...): a family is an array (or a singleton)
of one ApplyProfile type at one place in the tree, each instance named by
its key, its values in the parameters of fixed policy options (`Part`:
the sub-profile, policy and option they are in). Reading a host gives
`{family: {instance: {parameter: value}}}`, and so does reading a tree
(`settings_of`, which checks what a client sent), so compliance and
remediation compare the two forms key by key.

The host is read through its own state (`host.netconfig`, the managers'
properties), duck-typed: the host package sits above this one. A VMkernel
NIC's address is host-specific: the profile asks it as user input
(`UserInputIpAddress`), answered by ExecuteHostProfile's deferred
parameters or the host's answer file.
"""
from collections import namedtuple

from vimsim.managed.admin.profile import make, message
from vimsim.soap.fault import InvalidArgument, fault

Part = namedtuple('Part', 'child policy option params')     # params: ((name, kind), ...)
STRINGS = 'string[]'
KINDS = {bool: 'boolean', int: 'int', str: 'string', STRINGS: 'ArrayOfString'}   # xsd names
IP_INPUT = 'UserInputIpAddress'      # the option of a VMkernel NIC's address
IP_POLICY = 'IpAddressPolicy'


class Family:
    """One kind of setting in the tree (see the module docstring)."""

    def __init__(self, name, place, type_name, label, parts, exhaustive=False):
        self.name = name
        self.place = place              # attribute path from HostApplyProfile
        self.type_name = type_name
        self.label = label              # how a failure names an instance
        self.parts = parts
        self.exhaustive = exhaustive    # what the host has beyond the profile is a failure

    @property
    def key_prefix(self):
        return 'key-vim-profile-host-%s-' % self.type_name

    def key(self, instance):
        return self.key_prefix + instance if instance else ''


FAMILIES = (
    Family('vswitch', ('network', 'vswitch'), 'VirtualSwitchProfile', 'Virtual switch', (
        Part(None, 'MtuPolicy', 'FixedMtuOption', (('mtu', int),)),
        Part('link', 'UplinkPortPolicy', 'FixedUplinkPortPolicy', (('nicNames', STRINGS),)),
        Part('numPorts', 'NumPortsPolicy', 'FixedNumPorts', (('numPorts', int),)),
        Part('networkPolicy', None, None, ())), exhaustive=True),
    Family('vmPortGroup', ('network', 'vmPortGroup'), 'VmPortGroupProfile', 'Port group', (
        Part('vlan', 'VlanIdPolicy', 'FixedVlanIdOption', (('vlanId', int),)),
        Part('vswitch', 'VswitchSelectionPolicy', 'FixedVswitchSelectionOption',
             (('vswitchName', str),)),
        Part('networkPolicy', None, None, ())), exhaustive=True),
    Family('hostPortGroup', ('network', 'hostPortGroup'), 'HostPortGroupProfile',
           'VMkernel port group', (
               Part('vlan', 'VlanIdPolicy', 'FixedVlanIdOption', (('vlanId', int),)),
               Part('vswitch', 'VswitchSelectionPolicy', 'FixedVswitchSelectionOption',
                    (('vswitchName', str),)),
               Part('networkPolicy', None, None, ()),
               Part('ipConfig', IP_POLICY, IP_INPUT, ())), exhaustive=True),
    Family('dnsConfig', ('network', 'dnsConfig'), 'NetworkProfileDnsConfigProfile', 'DNS', (
        Part(None, 'DnsConfigPolicy', 'FixedDnsConfig', (
            ('dhcp', bool), ('domainName', str), ('address', STRINGS),
            ('searchDomain', STRINGS))),)),
    Family('nasStorage', ('storage', 'nasStorage'), 'NasStorageProfile', 'NFS datastore', (
        Part(None, 'NasStorageProfilePolicy', 'FixedNasConfigOption', (
            ('remoteHost', str), ('remotePath', str), ('readOnly', bool))),),
           exhaustive=True),
    Family('datetime', ('datetime',), 'DateTimeProfile', 'Date and time', (
        Part(None, 'NtpServerPolicy', 'FixedNtpServerOption', (
            ('protocol', str), ('server', STRINGS))),)),
    Family('ruleset', ('firewall', 'ruleset'), 'FirewallProfileRulesetProfile',
           'Firewall ruleset', (
               Part(None, 'RulesetPolicy', 'FixedRulesetOption', (('enabled', bool),)),)),
    Family('service', ('service',), 'ServiceProfile', 'Service', (
        Part(None, 'ServiceConfigPolicy', 'FixedServiceConfigOption',
             (('startupPolicy', str),)),)),
    Family('option', ('option',), 'OptionProfile', 'Advanced setting', (
        Part(None, 'ConfigOptionPolicy', 'FixedConfigOption', (('value', None),)),)),
    Family('userAccount', ('userAccount',), 'UserProfile', 'User', (
        Part(None, 'UserAccountPolicy', 'FixedUserAccountOption', (
            ('description', str), ('shellAccess', bool))),)),
)
BY_NAME = {family.name: family for family in FAMILIES}
BY_TYPE = {family.type_name: family for family in FAMILIES}
# a new instance's values (CreateDefaultProfile): a host's defaults, no uplinks or servers
DEFAULTS = {
    'vswitch': {'mtu': 1500, 'nicNames': [], 'numPorts': 128},
    'vmPortGroup': {'vlanId': 0, 'vswitchName': 'vSwitch0'},
    'hostPortGroup': {'vlanId': 0, 'vswitchName': 'vSwitch0'},
    'dnsConfig': {'dhcp': False, 'domainName': '', 'address': [], 'searchDomain': []},
    'nasStorage': {'remoteHost': '', 'remotePath': '', 'readOnly': False},
    'datetime': {'protocol': 'ntp', 'server': []},
    'ruleset': {'enabled': False},
    'service': {'startupPolicy': 'off'},
    'option': {'value': ''},
    'userAccount': {'description': '', 'shellAccess': False},
}
VCENTER_ACCOUNT = 'vpxuser'           # vCenter's own, with a password only it knows
SINGLE = ''                           # the instance name of a singleton family
HOST_NAME_OPTION = 'Misc.HostName'    # the DNS configuration holds it
SERVICE_POLICIES = ('on', 'off', 'automatic')


# -- reading a host ----------------------------------------------------------------------------

def host_settings(host):
    """The host's settings now, family by family."""
    net = host.netconfig
    managers = host.managers
    vmkernel = {vnic.portgroup for vnic in net.vnics.values()}
    portgroups = {name: {'vlanId': spec.vlanId, 'vswitchName': spec.vswitchName}
                  for name, spec in net.portgroups.items()}
    dns = net.dns
    date_time = managers['dateTimeSystem']
    return {
        'vswitch': {name: {'mtu': spec.mtu or 1500, 'nicNames': list(net.uplinks(spec)),
                           'numPorts': spec.numPorts}
                    for name, spec in net.switches.items()},
        'vmPortGroup': {name: values for name, values in portgroups.items()
                        if name not in vmkernel},
        'hostPortGroup': {name: values for name, values in portgroups.items()
                          if name in vmkernel},
        'dnsConfig': {SINGLE: {'dhcp': bool(dns.dhcp), 'domainName': dns.domainName or '',
                               'address': list(dns.address),
                               'searchDomain': list(dns.searchDomain)}},
        'nasStorage': {ds.name: {'remoteHost': ds.remote_host, 'remotePath': ds.remote_path,
                                 'readOnly': ds.access_modes.get(host) == 'readOnly'}
                       for ds in host.datastores if hasattr(ds, 'remote_path')},
        'datetime': {SINGLE: {'protocol': date_time.protocol,
                              'server': list(date_time.ntp_servers)}},
        'ruleset': {ruleset.key: {'enabled': ruleset.enabled}
                    for ruleset in managers['firewallSystem'].firewallInfo.ruleset
                    if ruleset.userControllable and not ruleset.required},
        'service': {service.key: {'startupPolicy': service.policy}
                    for service in managers['serviceSystem'].serviceInfo.service},
        'option': {key: {'value': value} for key, value in changed_options(host).items()},
        'userAccount': {account.name: {'description': account.description,
                                       'shellAccess': account.shell_access}
                        for account in managers['accountManager'].accounts.values()
                        if account.name != VCENTER_ACCOUNT},
    }


def option_defaults(host):
    """The writable advanced settings and their defaults (supportedOption)."""
    out = {}
    for definition in host.managers['advancedOption'].supportedOption:
        kind = definition.optionType
        if kind.valueIsReadonly or definition.key == HOST_NAME_OPTION:
            continue
        if hasattr(kind, 'choiceInfo'):
            out[definition.key] = kind.choiceInfo[kind.defaultIndex].key
        else:
            out[definition.key] = kind.defaultValue
    return out


def changed_options(host):
    """The writable settings off their defaults: what a profile takes of them."""
    defaults = option_defaults(host)
    return {option.key: option.value for option in host.managers['advancedOption'].setting
            if option.key in defaults and option.value != defaults[option.key]}


# -- the tree -------------------------------------------------------------------------------

def apply_profile(types, settings):
    """The HostApplyProfile of `settings`."""
    root = make(types, 'HostApplyProfile', enabled=True, profileTypeName='HostApplyProfile')
    for family in FAMILIES:
        set_instances(types, family, root, [
            _instance(types, family, name, values)
            for name, values in sorted(settings.get(family.name, {}).items())])
    return root


def set_instances(types, family, root, profiles):
    """Put `profiles` as the family's sub-profiles of the tree `root` (the
    profiles above them made as needed)."""
    holder = root
    for step in family.place[:-1]:
        if getattr(holder, step) is None:
            kind = holder._type.field_map[step].type
            setattr(holder, step, make(types, kind, enabled=True, profileTypeName=kind))
        holder = getattr(holder, step)
    last = family.place[-1]
    if holder._type.field_map[last].array:
        setattr(holder, last, profiles)
    else:
        setattr(holder, last, profiles[0] if profiles else None)


def _instance(types, family, name, values):
    profile = make(types, family.type_name, enabled=True, profileTypeName=family.type_name)
    fields = profile._type.field_map
    if 'key' in fields:
        profile.key = family.key(name)
    if 'name' in fields:
        profile.name = name
    for part in family.parts:
        target = profile
        if part.child is not None:
            kind = fields[part.child].type
            target = make(types, kind, enabled=True, profileTypeName=kind)
            setattr(profile, part.child, target)
        if part.policy is not None:
            target.policy = [make(types, 'ProfilePolicy', id=part.policy, policyOption=make(
                types, 'PolicyOption', id=part.option, parameter=[
                    make(types, 'KeyAnyValue', key=param, value=values[param])
                    for param, _ in part.params]))]
    return profile


def instances(family, root):
    """The sub-profiles of `family` in a tree; None when a profile above
    them is disabled (the family is not checked)."""
    holder = root
    for step in family.place[:-1]:
        holder = getattr(holder, step, None)
        if holder is None or not holder.enabled:
            return None
    found = getattr(holder, family.place[-1], None)
    return found if isinstance(found, list) else [found] if found is not None else []


def instance_name(family, profile):
    if 'name' in profile._type.field_map:
        return profile.name
    prefix = family.key_prefix
    key = getattr(profile, 'key', None)
    if key is None:
        return SINGLE
    return key[len(prefix):] if key.startswith(prefix) else key


def settings_of(types, root):
    """The settings a tree holds, a disabled sub-profile's as None (not
    checked) and no family under a disabled profile: ProfileUpdateFailed
    naming each sub-profile that lacks a policy or parameter or holds a
    value of another kind."""
    settings, failures = {}, []
    for family in FAMILIES:
        found = instances(family, root)
        if found is None:
            continue
        out = settings[family.name] = {}
        for profile in found:
            name = instance_name(family, profile)
            path = profile_path(family, name)
            if name in out:
                failures.append((path, 'the instance is listed twice'))
            if not profile.enabled:
                out[name] = None
                continue
            values = {}
            for part in family.parts:
                target = profile if part.child is None else getattr(profile, part.child, None)
                if target is None:
                    failures.append((path, 'the %s sub-profile is missing' % part.child))
                    continue
                if part.policy is None:
                    continue
                policy = next((p for p in target.policy if p.id == part.policy), None)
                if policy is None or policy.policyOption.id != part.option:
                    failures.append((path, 'policy %s needs option %s' % (part.policy,
                                                                          part.option)))
                    continue
                given = {item.key: item.value for item in policy.policyOption.parameter}
                for param, kind in part.params:
                    value = given.get(param)
                    if not _is(value, kind):
                        failures.append((path, 'parameter %s of %s needs a value of type %s' % (
                            param, part.policy, KINDS.get(kind, 'anyType'))))
                    values[param] = value
            out[name] = values
    if failures:
        raise update_failed(types, failures)
    return settings


def _is(value, kind):
    if kind is None:
        return value is not None
    if kind is STRINGS:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def profile_path(family, name):
    path = '.'.join(family.place)
    return '%s["%s"]' % (path, family.key(name)) if name else path


def update_failed(types, failures):
    """ProfileUpdateFailed with a failure per (profile path, text)."""
    error = fault('ProfileUpdateFailed', 'The profile could not be updated: %s' % failures[0][1])
    error.failure = [make(types, 'ProfileUpdateFailedUpdateFailure',
                          profilePath=make(types, 'ProfilePropertyPath', profilePath=path),
                          errMsg=message(types, 'com.vmware.profile.updateFailed', text))
                     for path, text in failures]
    return error


def host_argument(server, ref, argument='host'):
    """The HostSystem a reference argument names (InvalidArgument for another type)."""
    obj = server.objects.resolve(ref)
    if ref.type != 'HostSystem':
        raise InvalidArgument(argument)
    return obj




# -- compliance ------------------------------------------------------------------------------

def compliance_failures(types, wanted, have):
    """The ComplianceFailures of a host whose settings are `have` against a
    profile's `wanted`: an instance missing, one the profile lacks (in the
    families that list all of theirs), values that differ."""
    out = []
    for family in FAMILIES:
        want, got = wanted.get(family.name), have[family.name]
        if want is None:
            continue
        for name, values in want.items():
            if values is None:
                continue
            label = '%s %s' % (family.label, name) if name else family.label
            if name not in got:
                out.append(_compliance_failure(types, family, name, 'missing',
                                               '%s is missing on the host' % label, []))
                continue
            differing = [(param, got[name].get(param), value)
                         for param, value in values.items() if got[name].get(param) != value]
            if differing:
                text = '%s: %s differs from the profile' % (
                    label, ', '.join(param for param, _, _ in differing))
                out.append(_compliance_failure(types, family, name, 'differs', text, [
                    make(types, 'ComplianceFailureComplianceFailureValues',
                         comparisonIdentifier='%s.%s' % (family.type_name, param),
                         profileInstance=name or None, hostValue=host_value,
                         profileValue=profile_value)
                    for param, host_value, profile_value in differing]))
        if family.exhaustive:
            for name in sorted(set(got) - set(want)):
                out.append(_compliance_failure(
                    types, family, name, 'extra',
                    '%s %s is on the host but not in the profile' % (family.label, name), []))
    return out


def _compliance_failure(types, family, name, kind, text, values):
    return make(types, 'ComplianceFailure', failureType='%s.%s' % (family.type_name, kind),
                message=message(types, 'com.vmware.vim.profile.compliance.%s.%s' % (
                    family.type_name, kind), text),
                expressionName=family.type_name, failureValues=values)


# -- remediation: the HostConfigSpec a host needs --------------------------------------------

def config_spec(types, host, wanted, have, answers):
    """The HostConfigSpec that makes the host's settings `have` those of a
    profile (`wanted`), with the answers to its inputs ({(family, instance):
    values}: the VMkernel NICs' addresses, new users' passwords); None when
    nothing differs."""
    net = host.netconfig
    switch_ops, portgroup_ops, vnic_ops = [], [], []
    network = make(types, 'HostNetworkConfig', vswitch=switch_ops, portgroup=portgroup_ops,
                   vnic=vnic_ops)

    def changes(name):
        """(instances to add or edit, instances to remove) of a family."""
        want, got = wanted.get(name), have[name]
        if want is None:
            return [], []
        return ([(key, values) for key, values in sorted(want.items())
                 if values is not None and got.get(key) != values],
                sorted(set(got) - set(want)) if BY_NAME[name].exhaustive else [])

    changed, extra = changes('vswitch')
    for name, values in changed:
        switch_ops.append(make(types, 'HostVirtualSwitchConfig',
                               changeOperation='edit' if name in have['vswitch'] else 'add',
                               name=name, spec=_switch_spec(types, values)))
    switch_ops.extend(make(types, 'HostVirtualSwitchConfig', changeOperation='remove', name=name)
                      for name in extra)
    by_device = {vnic.portgroup: vnic for vnic in net.vnics.values()}
    for family in ('vmPortGroup', 'hostPortGroup'):
        changed, extra = changes(family)
        for name, values in changed:
            exists = name in net.portgroups
            current = net.portgroups.get(name)
            portgroup_ops.append(make(types, 'HostPortGroupConfig',
                                      changeOperation='edit' if exists else 'add',
                                      spec=make(types, 'HostPortGroupSpec', name=name,
                                                vlanId=values['vlanId'],
                                                vswitchName=values['vswitchName'],
                                                policy=current.policy if exists else
                                                make(types, 'HostNetworkPolicy'))))
        for name in extra:
            if family == 'hostPortGroup' and name in by_device:
                vnic_ops.append(make(types, 'HostVirtualNicConfig', changeOperation='remove',
                                     device=by_device[name].device, portgroup=name))
            portgroup_ops.append(make(types, 'HostPortGroupConfig', changeOperation='remove',
                                      spec=make(types, 'HostPortGroupSpec', name=name, vlanId=0,
                                                vswitchName=have[family][name]['vswitchName'],
                                                policy=make(types, 'HostNetworkPolicy'))))
    addresses = {name: (values['address'], values['subnetmask'])
                 for (family, name), values in answers.items() if family == 'hostPortGroup'}
    for name, (address, mask) in sorted(addresses.items()):
        vnic = by_device.get(name)
        ip = vnic.spec.ip if vnic is not None else None
        if ip is not None and not ip.dhcp and (ip.ipAddress, ip.subnetMask) == (address, mask):
            continue
        vnic_ops.append(make(types, 'HostVirtualNicConfig',
                             changeOperation='edit' if vnic is not None else 'add',
                             device=vnic.device if vnic is not None else None, portgroup=name,
                             spec=make(types, 'HostVirtualNicSpec', ip=make(
                                 types, 'HostIpConfig', dhcp=False, ipAddress=address,
                                 subnetMask=mask))))
    for _, dns in changes('dnsConfig')[0]:
        network.dnsConfig = make(types, 'HostDnsConfig', hostName=net.dns.hostName, **dns)
    spec = make(types, 'HostConfigSpec', nasDatastore=[])
    if switch_ops or portgroup_ops or vnic_ops or network.dnsConfig is not None:
        spec.network = network
    changed, extra = changes('nasStorage')
    for name in extra + [name for name, _ in changed if name in have['nasStorage']]:
        spec.nasDatastore.append(make(types, 'HostNasVolumeConfig', changeOperation='remove',
                                      spec=_nas_spec(types, name, have['nasStorage'][name])))
    spec.nasDatastore.extend(make(types, 'HostNasVolumeConfig', changeOperation='add',
                                  spec=_nas_spec(types, name, values))
                             for name, values in changed)
    for _, time in changes('datetime')[0]:
        spec.datetime = make(types, 'HostDateTimeConfig', protocol=time['protocol'],
                             ntpConfig=make(types, 'HostNtpConfig', server=time['server']))
    changed, _ = changes('ruleset')
    if changed:
        spec.firewall = make(types, 'HostFirewallConfig', rule=[
            make(types, 'HostFirewallConfigRuleSetConfig', rulesetId=key,
                 enabled=values['enabled']) for key, values in changed],
            defaultBlockingPolicy=host.managers['firewallSystem'].firewallInfo.defaultPolicy)
    spec.service = [make(types, 'HostServiceConfig', serviceId=key,
                         startupPolicy=values['startupPolicy'])
                    for key, values in changes('service')[0]]
    spec.option = [make(types, 'OptionValue', key=key, value=values['value'])
                   for key, values in changes('option')[0]]
    spec.userAccount = [make(types, 'HostPosixAccountSpec', id=name,
                             description=values['description'],
                             shellAccess=values['shellAccess'],
                             password=answers.get(('userAccount', name), {}).get('password'))
                        for name, values in changes('userAccount')[0]]
    empty = all(getattr(spec, field.name) in (None, []) for field in spec._type.fields)
    return None if empty else spec


def _switch_spec(types, values):
    nics = values['nicNames']
    return make(types, 'HostVirtualSwitchSpec', numPorts=values['numPorts'], mtu=values['mtu'],
                bridge=make(types, 'HostVirtualSwitchBondBridge', nicDevice=nics) if nics
                else None,
                policy=make(types, 'HostNetworkPolicy', nicTeaming=make(
                    types, 'HostNicTeamingPolicy', nicOrder=make(
                        types, 'HostNicOrderPolicy', activeNic=nics, standbyNic=[]))))


def _nas_spec(types, name, values):
    return make(types, 'HostNasVolumeSpec', remoteHost=values['remoteHost'],
                remotePath=values['remotePath'], localPath=name,
                accessMode='readOnly' if values['readOnly'] else 'readWrite')


def structure(types):
    """The ProfileProfileStructure of the trees a profile holds: the
    sub-profiles of every family, where they are."""
    def node(type_name, children):
        return make(types, 'ProfileProfileStructure', profileTypeName=type_name, child=[
            make(types, 'ProfileProfileStructureProperty', propertyName=name, array=array,
                 element=element) for name, array, element in children])

    def instance(family):
        fields = types[family.type_name].field_map
        return node(family.type_name, [(part.child, False, node(fields[part.child].type, []))
                                       for part in family.parts if part.child is not None])

    tops = {}
    for family in FAMILIES:
        field = types['HostApplyProfile'].field_map[family.place[0]]
        if len(family.place) == 1:
            tops[family.place[0]] = (field.array, instance(family))
            continue
        top = tops.setdefault(family.place[0], (False, node(field.type, [])))[1]
        top.child.append(make(types, 'ProfileProfileStructureProperty',
                              propertyName=family.place[1],
                              array=types[field.type].field_map[family.place[1]].array,
                              element=instance(family)))
    return node('HostApplyProfile', [(name, array, element)
                                     for name, (array, element) in tops.items()])


# -- metadata ---------------------------------------------------------------------------------

def described(types, key, label):
    return make(types, 'ExtendedElementDescription', key=key, label=label, summary=label,
                messageCatalogKeyPrefix='com.vmware.profile.' + key)


def _parameters(types, params):
    return [make(types, 'ProfileParameterMetadata', id=described(types, param, param),
                 type=KINDS.get(kind, 'anyType'), optional=False) for param, kind in params]


def policy_metadata(types, names):
    """ProfilePolicyMetadata of the policies named (all when none are)."""
    seen, out = set(), []
    for family in FAMILIES:
        for part in family.parts:
            if part.policy is None or part.policy in seen or (names and part.policy not in names):
                continue
            seen.add(part.policy)       # a policy has the same option wherever it is
            out.append(make(types, 'ProfilePolicyMetadata',
                            id=described(types, part.policy, part.policy),
                            possibleOption=[make(types, 'ProfilePolicyOptionMetadata',
                                                 id=described(types, part.option, part.option),
                                                 parameter=_parameters(types, part.params))]))
    return out


def profile_metadata(types, names):
    """ProfileMetadata of the sub-profile types named (all when none are)."""
    return [make(types, 'ProfileMetadata', key=family.type_name,
                 profileTypeName=family.type_name,
                 description=make(types, 'ExtendedDescription', label=family.label,
                                  summary=family.label,
                                  messageCatalogKeyPrefix='com.vmware.profile.' +
                                  family.type_name),
                 profileCategory=family.place[0], profileComponent=family.place[-1])
            for family in FAMILIES if not names or family.type_name in names]


def expression_metadata(types, names):
    """ProfileExpressionMetadata of the compliance checks (a failure's
    expressionName is its family's sub-profile type)."""
    return [make(types, 'ProfileExpressionMetadata',
                 expressionId=described(types, family.type_name, family.label),
                 parameter=_parameters(types, [param for part in family.parts
                                               for param in part.params]))
            for family in FAMILIES if not names or family.type_name in names]


def default_profile(types, type_name):
    """A new sub-profile of `type_name` (its key and name for the client to set)."""
    family = BY_TYPE.get(type_name)
    if family is None:
        return None
    return _instance(types, family, SINGLE, DEFAULTS[family.name])
