"""Port settings of a distributed switch (VMwareDVSPortSetting): the default
a new switch starts from, the layering of a spec over the setting it
changes, and vCenter's checks of a setting against its switch.

A setting is layered, as vCenter does: the switch's default, a portgroup's
default over it, a port's own over that. A spec names only what it changes;
a policy it sends with `inherited` true takes the value from the layer
below again, so the layering is one rule (`merge_setting`) at every level.
"""
import copy

from vimsim.soap.fault import fault

VLAN_MAX = 4094
TEAMING_POLICIES = ('loadbalance_ip', 'loadbalance_srcmac', 'loadbalance_srcid',
                    'failover_explicit', 'loadbalance_loadbased')
_META = ('dynamicType', 'dynamicProperty')


def port_setting(T, uplink_names, vlan=None):
    """The setting a new switch gives its ports (vCenter 8.0's defaults);
    `vlan` a VLAN spec, VLAN 0 when None."""
    return T.VMwareDVSPortSetting(
        blocked=T.BoolPolicy(inherited=False, value=False),
        vmDirectPathGen2Allowed=T.BoolPolicy(inherited=False, value=False),
        inShapingPolicy=_shaping(T), outShapingPolicy=_shaping(T),
        networkResourcePoolKey=T.StringPolicy(inherited=False, value='-1'),
        filterPolicy=T.DvsFilterPolicy(inherited=False),
        vlan=vlan or T.VmwareDistributedVirtualSwitchVlanIdSpec(inherited=False, vlanId=0),
        uplinkTeamingPolicy=T.VmwareUplinkPortTeamingPolicy(
            inherited=False, policy=T.StringPolicy(inherited=False, value='loadbalance_srcid'),
            reversePolicy=T.BoolPolicy(inherited=False, value=True),
            notifySwitches=T.BoolPolicy(inherited=False, value=True),
            rollingOrder=T.BoolPolicy(inherited=False, value=False),
            failureCriteria=T.DVSFailureCriteria(
                inherited=False, checkSpeed=T.StringPolicy(inherited=False, value='minimum'),
                speed=T.IntPolicy(inherited=False, value=10),
                checkDuplex=T.BoolPolicy(inherited=False, value=False),
                fullDuplex=T.BoolPolicy(inherited=False, value=False),
                checkErrorPercent=T.BoolPolicy(inherited=False, value=False),
                percentage=T.IntPolicy(inherited=False, value=0),
                checkBeacon=T.BoolPolicy(inherited=False, value=False)),
            uplinkPortOrder=T.VMwareUplinkPortOrderPolicy(
                inherited=False, activeUplinkPort=list(uplink_names), standbyUplinkPort=[])),
        securityPolicy=T.DVSSecurityPolicy(
            inherited=False, allowPromiscuous=T.BoolPolicy(inherited=False, value=False),
            macChanges=T.BoolPolicy(inherited=False, value=False),
            forgedTransmits=T.BoolPolicy(inherited=False, value=False)),
        ipfixEnabled=T.BoolPolicy(inherited=False, value=False),
        txUplink=T.BoolPolicy(inherited=False, value=False),
        lacpPolicy=T.VMwareUplinkLacpPolicy(inherited=False,
                                            enable=T.BoolPolicy(inherited=False, value=False),
                                            mode=T.StringPolicy(inherited=False, value='passive')),
        macManagementPolicy=T.DVSMacManagementPolicy(
            inherited=False, allowPromiscuous=False, macChanges=False, forgedTransmits=False,
            macLearningPolicy=T.DVSMacLearningPolicy(inherited=False, enabled=False)))


def trunk_vlan(T, ranges=((0, VLAN_MAX),)):
    """A VLAN trunk spec over (start, end) ranges (an uplink portgroup's is
    the whole 0-4094)."""
    return T.VmwareDistributedVirtualSwitchTrunkVlanSpec(
        inherited=False, vlanId=[T.NumericRange(start=start, end=end) for start, end in ranges])


def _shaping(T):
    return T.DVSTrafficShapingPolicy(
        inherited=False, enabled=T.BoolPolicy(inherited=False, value=False),
        averageBandwidth=T.LongPolicy(inherited=False, value=100000000),
        peakBandwidth=T.LongPolicy(inherited=False, value=100000000),
        burstSize=T.LongPolicy(inherited=False, value=104857600))


def merge_setting(T, base, spec):
    """A copy of setting `base` with what `spec` sets laid over it. A policy
    sent with `inherited` true keeps the layer below; a composite policy of
    the same kind is merged field by field, so a spec may change one of
    its leaves; anything else replaces what was there."""
    merged = copy.deepcopy(base)
    if spec is None:
        return merged
    policy = T.InheritablePolicy
    for name in spec._type._names:
        value = getattr(spec, name, None)
        if name in _META or value is None or value == []:
            continue
        if isinstance(value, policy) and value.inherited:
            continue
        current = getattr(merged, name, None) if name in merged._type.field_map else None
        if _composite(T, value) and type(current) is type(value):
            setattr(merged, name, merge_setting(T, current, value))
        elif name in merged._type.field_map:
            setattr(merged, name, copy.deepcopy(value))
    return merged


def overlay_setting(T, overrides, spec):
    """A layer's own values (`overrides`, None for none) with a spec laid
    over them: what the spec sets replaces them, a composite policy of the
    same kind is laid field by field, a policy sent with `inherited` true
    is dropped (the layer takes it from below again)."""
    layer = copy.deepcopy(overrides) if overrides is not None else T.VMwareDVSPortSetting()
    policy = T.InheritablePolicy
    for name in spec._type._names:
        value = getattr(spec, name, None)
        if name in _META or value is None or value == [] or name not in layer._type.field_map:
            continue
        current = getattr(layer, name, None)
        if isinstance(value, policy) and value.inherited:
            setattr(layer, name, None)
        elif _composite(T, value) and type(current) is type(value):
            setattr(layer, name, overlay_setting(T, current, value))
        else:
            setattr(layer, name, copy.deepcopy(value))
    return layer


def _composite(T, value):
    """A policy made of policies (teaming, security, shaping, ...)."""
    return isinstance(value, T.InheritablePolicy) and any(
        isinstance(getattr(value, n, None), T.InheritablePolicy) for n in value._type._names)


def invalid(path):
    return fault('InvalidArgument', 'A specified parameter was not correct: %s' % path,
                 invalidProperty=path)


def check_setting(T, setting, uplink_names, pvlan_ids, path):
    """vCenter's checks of a port setting spec (`path` names it in the
    fault): VLAN ids and trunk ranges within 0-4094, a private VLAN the
    switch defines, a teaming policy it offers, uplinks it has, a LACP
    mode."""
    if setting is None:
        return
    vlan = getattr(setting, 'vlan', None)
    if isinstance(vlan, T.VmwareDistributedVirtualSwitchVlanIdSpec) and not vlan.inherited:
        if vlan.vlanId is None or not 0 <= vlan.vlanId <= VLAN_MAX:
            raise invalid(path + '.vlan.vlanId')
    elif isinstance(vlan, T.VmwareDistributedVirtualSwitchTrunkVlanSpec) and not vlan.inherited:
        if not vlan.vlanId or any(r.start is None or r.end is None
                                  or not 0 <= r.start <= r.end <= VLAN_MAX for r in vlan.vlanId):
            raise invalid(path + '.vlan.vlanId')
    elif isinstance(vlan, T.VmwareDistributedVirtualSwitchPvlanSpec) and not vlan.inherited:
        if vlan.pvlanId not in pvlan_ids:
            raise invalid(path + '.vlan.pvlanId')
    teaming = getattr(setting, 'uplinkTeamingPolicy', None)
    if teaming is not None and not teaming.inherited:
        chosen = teaming.policy
        if chosen is not None and not chosen.inherited and chosen.value not in TEAMING_POLICIES:
            raise invalid(path + '.uplinkTeamingPolicy.policy')
        order = teaming.uplinkPortOrder
        if order is not None and not order.inherited:
            active, standby = order.activeUplinkPort or [], order.standbyUplinkPort or []
            if set(active) & set(standby) or any(u not in uplink_names for u in active + standby):
                raise invalid(path + '.uplinkTeamingPolicy.uplinkPortOrder')
    lacp = getattr(setting, 'lacpPolicy', None)
    mode = lacp.mode if lacp is not None and not lacp.inherited else None
    if mode is not None and not mode.inherited and mode.value not in ('active', 'passive'):
        raise invalid(path + '.lacpPolicy.mode')
    for name in ('inShapingPolicy', 'outShapingPolicy'):
        shaping = getattr(setting, name, None)
        if shaping is None or shaping.inherited:
            continue
        for part in ('averageBandwidth', 'peakBandwidth', 'burstSize'):
            value = getattr(shaping, part, None)
            if value is not None and not value.inherited and (value.value or 0) < 0:
                raise invalid('%s.%s.%s' % (path, name, part))


def vlan_ranges(vlan):
    """[(start, end)] a VLAN spec covers (a private VLAN: its id)."""
    ids = getattr(vlan, 'vlanId', None)
    if isinstance(ids, int):
        return [(ids, ids)]
    if isinstance(ids, list):
        return [(r.start, r.end) for r in ids]
    pvlan = getattr(vlan, 'pvlanId', None)
    return [(pvlan, pvlan)] if pvlan is not None else []
