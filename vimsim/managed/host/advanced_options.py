"""The advanced settings of a host (HostSystem.configManager.advancedOption,
an OptionManager) over ESXi's catalogue (advanced_option_catalogue.py).

UpdateOptions checks every change before it applies any, as hostd does: an
unknown key answers InvalidName, a value of the wrong xsd type, outside its
range, not one of its choices, or for a read-only setting InvalidArgument.
"""
from vimsim.managed.admin.option_manager import query_options
from vimsim.managed.host.advanced_option_catalogue import (BOOL, CHOICE, HOST_NAME, INT, LONG,
                                                           SETTINGS)
from vimsim.managed.host.config_managers import HostManagerObject, shared
from vimsim.managed.host.host_network_system import change_network
from vimsim.managed.host.host_power_system import CPU_POLICY_OPTION
from vimsim.soap.encode import Long
from vimsim.soap.fault import InvalidArgument, fault

HOST_NAME_OPTION = 'Misc.HostName'

CATALOGUE = {setting.key: setting for setting in SETTINGS}


def _typed(kind, value):
    return Long(value) if kind == LONG else value


DEFAULTS = {setting.key: _typed(setting.kind, setting.default) for setting in SETTINGS}


def _fits(setting, value):
    """Whether `value`, as decoded (xsd:long a Long, xsd:int a plain int),
    is one this setting takes."""
    kind = setting.kind
    if kind in (LONG, INT):
        if kind == LONG and not isinstance(value, Long) or \
                kind == INT and type(value) is not int:
            return False
        low, high = setting.constraint
        return low <= value <= high
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == CHOICE:
        return isinstance(value, str) and value in setting.constraint
    return isinstance(value, str) and (setting.constraint is None or value in setting.constraint)


def option_type(T, setting):
    """The OptionType an OptionDef describes a setting with."""
    kind, default = setting.kind, setting.default
    readonly = setting.readonly
    if kind in (LONG, INT):
        low, high = setting.constraint
        cls = T.LongOption if kind == LONG else T.IntOption
        return cls(valueIsReadonly=readonly, min=_typed(kind, low), max=_typed(kind, high),
                   defaultValue=_typed(kind, default))
    if kind == BOOL:
        return T.BoolOption(valueIsReadonly=readonly, supported=True, defaultValue=default)
    if kind == CHOICE:
        return T.ChoiceOption(valueIsReadonly=readonly, choiceInfo=[
            T.ElementDescription(key=choice, label=choice.capitalize(),
                                 summary=choice.capitalize())
            for choice in setting.constraint], defaultIndex=setting.constraint.index(default))
    return T.StringOption(valueIsReadonly=readonly,
                          defaultValue='localhost' if default == HOST_NAME else default)


class HostAdvancedOptions(HostManagerObject):
    """HostSystem.configManager.advancedOption: the host's advanced settings."""
    type_name = 'OptionManager'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.values = dict(DEFAULTS)

    @property
    def setting(self):
        """A setting at its default is a shared object. Misc.HostName is the
        host's DNS host name (HostNetworkSystem.UpdateDnsConfig sets it too)."""
        T = self.host.T
        values = dict(self.values)
        values[HOST_NAME_OPTION] = self.host.netconfig.dns.hostName
        return [shared(self.server, ('option', key), lambda: T.OptionValue(key=key, value=value))
                if value == DEFAULTS[key] and type(value) is type(DEFAULTS[key])
                else T.OptionValue(key=key, value=value)
                for key, value in values.items()]

    @property
    def supportedOption(self):
        T = self.host.T
        return [shared(self.server, ('optionDef', setting.key), lambda: T.OptionDef(
            key=setting.key, label=setting.label, summary=setting.summary,
            optionType=option_type(T, setting)))
            for setting in SETTINGS]

    def QueryOptions(self, ctx, name=None):
        return query_options(self.setting, name)

    def UpdateOptions(self, ctx, changedValue=()):
        changes = {}
        for change in changedValue:
            setting = CATALOGUE.get(change.key)
            if setting is None:
                raise fault('InvalidName', "The name '%s' is invalid." % change.key,
                            name=change.key)
            if setting.readonly or not _fits(setting, change.value):
                raise InvalidArgument(change.key)
            changes[change.key] = change.value
        host_name = changes.pop(HOST_NAME_OPTION, None)
        if host_name is not None and host_name != self.host.netconfig.dns.hostName:
            change_network(self.host, ctx, lambda state: setattr(state.dns, 'hostName', host_name))
        changed = {key: value for key, value in changes.items() if self.values[key] != value}
        if changed:
            self.values.update(changed)
            self.report('setting')
        if CPU_POLICY_OPTION in changed:
            self.host.managers['powerSystem'].follow_option(changed[CPU_POLICY_OPTION])

    def set_value(self, key, value):
        """A setting another manager keeps in step (Power.CpuPolicy)."""
        if self.values[key] != value:
            self.values[key] = value
            self.report('setting')
