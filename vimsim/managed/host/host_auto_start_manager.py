"""HostAutoStartManager: the order in which a host starts and stops its VMs
(HostSystem.configManager.autoStartManager).

The configuration is the system defaults and, per VM, its settings; the
ordered VMs are a list, so their startOrder is their position (1, 2, ...)
and always contiguous, as the API reference describes: a VM given a taken
position takes it and the ones from there move one down; an order past the
end puts the VM last. A VM of order -1 starts after the ordered ones, in no
particular order. ReconfigureAutostart applies its changes in sequence on a
copy and only then swaps it in, so a fault changes nothing. A VM that left
the host drops out of `config`.

AutoStartPowerOn and AutoStartPowerOff run the sequence at once (as the
simulator's vApps do), without waiting the delays or heartbeats.
"""
from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.managed.vm.power_sequence import start_vm, stop_vm
from vimsim.soap.fault import InvalidArgument

START_ACTIONS = ('none', 'powerOn')
STOP_ACTIONS = ('none', 'systemDefault', 'powerOff', 'suspend', 'guestShutdown')
DEFAULT_STOP_ACTIONS = ('none', 'powerOff', 'suspend', 'guestShutdown')
SYSTEM_DEFAULT_DELAY = -1
VM_SETTINGS = ('startDelay', 'waitForHeartbeat', 'startAction', 'stopDelay', 'stopAction')


def _check_delay(value, path):
    """A VM's delay: seconds, or -1 for the system default."""
    if value < SYSTEM_DEFAULT_DELAY:
        raise InvalidArgument(path)


class AutoStartPlan:
    """The configuration: defaults, the ordered VMs and every VM's settings."""

    def __init__(self, defaults, ordered=(), settings=None):
        self.defaults = defaults
        self.ordered = list(ordered)
        self.settings = dict(settings or {})

    def copy(self):
        return AutoStartPlan(self.defaults, self.ordered, self.settings)

    def remove(self, vm):
        self.settings.pop(vm, None)
        if vm in self.ordered:
            self.ordered.remove(vm)

    def hand_over(self, vm, successor):
        """`successor` takes `vm`'s start order and settings."""
        if vm in self.ordered:
            self.ordered[self.ordered.index(vm)] = successor
        if vm in self.settings:
            self.settings[successor] = self.settings.pop(vm)

    def place(self, vm, order, settings):
        if vm in self.ordered:
            self.ordered.remove(vm)
        if order > 0:
            self.ordered.insert(min(order, len(self.ordered) + 1) - 1, vm)
        self.settings[vm] = settings

    def sequence(self, host):
        """[(vm, startOrder, settings)] of the host's VMs, in start order."""
        present = set(host.vms)
        ordered = [vm for vm in self.ordered if vm in present]
        unordered = [vm for vm in self.settings if vm in present and vm not in self.ordered]
        return [(vm, number, self.settings[vm]) for number, vm in enumerate(ordered, 1)] + \
            [(vm, -1, self.settings[vm]) for vm in unordered]


def factory_defaults(T):
    """A new host's autostart defaults: off."""
    return T.AutoStartDefaults(enabled=False, startDelay=120, stopDelay=120,
                               waitForHeartbeat=False, stopAction='PowerOff')


class HostAutoStartManager(HostManagerObject):
    type_name = 'HostAutoStartManager'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.plan = AutoStartPlan(factory_defaults(host.T))

    @property
    def config(self):
        T = self.host.T
        return T.HostAutoStartManagerConfig(defaults=self.plan.defaults, powerInfo=[
            T.AutoStartPowerInfo(key=vm.ref, startOrder=order, **settings)
            for vm, order, settings in self.plan.sequence(self.host)])

    # -- ReconfigureAutostart -----------------------------------------------------
    def _defaults(self, current, spec):
        """The defaults with the spec's set fields changed."""
        for name in ('startDelay', 'stopDelay'):     # the defaults have no default
            if (getattr(spec, name) or 0) < 0:
                raise InvalidArgument('spec.defaults.%s' % name)
        if spec.stopAction is not None and spec.stopAction.lower() not in \
                [action.lower() for action in DEFAULT_STOP_ACTIONS]:
            raise InvalidArgument('spec.defaults.stopAction')
        values = {name: getattr(current, name) if getattr(spec, name) is None
                  else getattr(spec, name)
                  for name in ('enabled', 'startDelay', 'stopDelay', 'waitForHeartbeat',
                               'stopAction')}
        return type(current)(**values)

    def _vm(self, ref):
        vm = self.server.objects.get(ref)
        if vm is None or getattr(vm, 'host', None) is not self.host or \
                vm.type_name != 'VirtualMachine':
            raise InvalidArgument('spec.powerInfo.key')
        return vm

    def _apply(self, plan, info):
        vm = self._vm(info.key)
        if info.startAction not in START_ACTIONS:
            raise InvalidArgument('spec.powerInfo.startAction')
        if info.stopAction not in STOP_ACTIONS:
            raise InvalidArgument('spec.powerInfo.stopAction')
        _check_delay(info.startDelay, 'spec.powerInfo.startDelay')
        _check_delay(info.stopDelay, 'spec.powerInfo.stopDelay')
        order = info.startOrder
        if order == 0 or order < -1 or info.startAction == 'none' and order > 0:
            raise InvalidArgument('spec.powerInfo.startOrder')
        if info.startAction == 'none' and info.stopAction == 'none':
            plan.remove(vm)
        else:
            plan.place(vm, order, {name: getattr(info, name) for name in VM_SETTINGS})

    def ReconfigureAutostart(self, ctx, spec):
        plan = self.plan.copy()
        if spec.defaults is not None:
            plan.defaults = self._defaults(plan.defaults, spec.defaults)
        for info in spec.powerInfo:
            self._apply(plan, info)
        self.plan = plan
        self.report('config')

    # -- running the sequence ----------------------------------------------------
    def _post(self, ctx):
        events = event_manager(self.server)
        return lambda event_type, vm: events.post(event_type, vm, ctx=ctx)

    def AutoStartPowerOn(self, ctx):
        """Start, in order, the VMs set to power on, when autostart is enabled."""
        if not self.plan.defaults.enabled:
            return
        post = self._post(ctx)
        for vm, _, settings in self.plan.sequence(self.host):
            if settings['startAction'] == 'powerOn' and not vm.template:
                start_vm(vm, post)

    def AutoStartPowerOff(self, ctx):
        """Stop the sequence's VMs in reverse order, each by its stopAction
        (`systemDefault`: the defaults')."""
        if not self.plan.defaults.enabled:
            return
        post = self._post(ctx)
        default = self.plan.defaults.stopAction
        for vm, _, settings in reversed(self.plan.sequence(self.host)):
            action = settings['stopAction']
            if action == 'systemDefault':
                action = default[:1].lower() + default[1:]
            stop_vm(vm, action, post)
