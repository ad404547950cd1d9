"""The advanced settings of a host (HostSystem.configManager.advancedOption,
an OptionManager)."""
from vimsim.managed.admin.option_manager import query_options
from vimsim.managed.host.config_managers import HostManagerObject


class HostAdvancedOptions(HostManagerObject):
    """HostSystem.configManager.advancedOption: the host's advanced settings."""
    type_name = 'OptionManager'

    def QueryOptions(self, ctx, name=None):
        return query_options(self.host.options(), name)
