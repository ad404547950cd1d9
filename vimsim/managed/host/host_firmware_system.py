"""HostFirmwareSystem: a host's configuration backup, restore and factory
reset (HostSystem.configManager.firmwareSystem), as ESXi's.

BackupFirmwareConfiguration writes the host's configuration as it is now
into a bundle (config_bundle.py) and answers its URL, with `*` (and the port
the client called, `manager.star_host`) for the host name as ESXi writes it: `/downloads/<manager>/<uuid>/configBundle-<host>.tgz`
(a random uuid: the URL is the credential, as ESXi's), served by
server/firmware.py. QueryFirmwareConfigUploadURL
answers where a bundle is PUT (`/tmp/<manager>/configBundle.tgz`); the upload
is kept until a restore takes it.

RestoreFirmwareConfiguration needs maintenance mode (InvalidState), the
uploaded bundle (FileFault), a valid one (InvalidBundle), made on this host
at this build unless `force` (MismatchedBundle). It applies each section
through its manager's own method (UpdateNetworkConfig in replace mode,
UpdateDateTimeConfig, the firewall's and services' calls, UpdateOptions,
ReconfigureAutostart), so filters and events see every change, and the
host reboots. ResetFirmwareToFactoryDefaults applies a new host's sections
the same way. Every section is decoded and its keys checked before any is
applied; a manager refusing a value (a forced bundle's, or a portgroup a
VM still uses) answers InvalidBundle (a reset: InvalidState), the sections
before it applied, as a host that restored part of a bundle is left.

Not kept with -state: the uploaded bundle (a journaled restore replays
without it and is logged as diverging).
"""
import uuid

from vimsim.managed.host import config_bundle
from vimsim.managed.host.advanced_options import CATALOGUE as OPTIONS, DEFAULTS, HOST_NAME_OPTION
from vimsim.managed.host.config_bundle import BundleError, from_json, to_json
from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.managed.host.firewall_catalogue import RULESETS
from vimsim.managed.host.host_auto_start_manager import factory_defaults
from vimsim.managed.host.host_firewall_system import CATALOGUE as FIREWALL, factory_firewall
from vimsim.managed.host.host_network_system import HostNetworkState
from vimsim.managed.host.host_service_system import (CATALOGUE as SERVICES, POLICIES,
                                                     factory_services)
from vimsim.managed.manager import star_host
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.soap.fault import fault, message_of

DOWNLOADS = '/downloads/'
UPLOADS = '/tmp/'
UPLOAD_NAME = 'configBundle.tgz'


def invalid_bundle(text):
    return fault('InvalidBundle', 'The bundle is invalid: %s' % text, text=text)


def _not_reset(text):
    """A factory reset a manager refuses (a VM still on a portgroup the
    defaults lack): the host's state does not allow it."""
    return fault('InvalidState', 'The host could not be reset: %s' % text)


class HostFirmwareSystem(HostManagerObject):
    type_name = 'HostFirmwareSystem'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.backup = None        # (path, bytes) of the last BackupFirmwareConfiguration
        self.uploaded = None      # the bytes of the last bundle PUT to the upload URL

    # -- URLs ------------------------------------------------------------------------------
    @staticmethod
    def _url(ctx, path):
        request = ctx.request
        scheme = 'https' if request is None or request.secure else 'http'
        return '%s://%s%s' % (scheme, star_host(ctx), path)

    def upload_path(self):
        return '%s%s/%s' % (UPLOADS, self.ref.value, UPLOAD_NAME)

    def bundle(self, path):
        """The bytes of the backup at `path`, or None (a stale or unknown URL)."""
        if self.backup is not None and self.backup[0] == path:
            return self.backup[1]
        return None

    # -- methods ---------------------------------------------------------------------------
    def BackupFirmwareConfiguration(self, ctx):
        host = self.host
        header = {'host': host.name, 'uuid': host.system_uuid,
                  'buildNumber': int(host.about().build)}
        data = config_bundle.pack(host.name, header, current_sections(host))
        path = '%s%s/%s/configBundle-%s.tgz' % (DOWNLOADS, self.ref.value, uuid.uuid4(),
                                                host.name)
        self.backup = (path, data)
        return self._url(ctx, path)

    def QueryFirmwareConfigUploadURL(self, ctx):
        return self._url(ctx, self.upload_path())

    def RestoreFirmwareConfiguration(self, ctx, force):
        self._require_maintenance()
        if self.uploaded is None:
            path = self.upload_path()
            raise fault('FileFault', 'No configuration bundle was uploaded to %s.' % path,
                        file=path)
        try:
            document = config_bundle.unpack(self.uploaded)
            header = _header(document)
        except BundleError as error:
            raise invalid_bundle(str(error)) from None
        host = self.host
        build = int(host.about().build)
        if not force and (header['uuid'] != host.system_uuid or header['buildNumber'] != build):
            raise fault('MismatchedBundle', 'The bundle was made on another host or build.',
                        bundleUuid=header['uuid'], hostUuid=host.system_uuid,
                        bundleBuildNumber=header['buildNumber'], hostBuildNumber=build)
        try:
            sections = decode_sections(self.server.schema, document.get('sections'))
        except BundleError as error:
            raise invalid_bundle(str(error)) from None
        if header['uuid'] != host.system_uuid:      # MACs are the hardware's: this host keeps its own
            for vnic in sections['network'].vnic:
                if vnic.spec is not None:
                    vnic.spec.mac = None
        self.uploaded = None
        self._apply_and_reboot(ctx, sections, invalid_bundle)

    def ResetFirmwareToFactoryDefaults(self, ctx):
        self._require_maintenance()
        self._apply_and_reboot(ctx, decode_sections(self.server.schema,
                                                    factory_sections(self.host)), _not_reset)

    def _require_maintenance(self):
        self.host._require_connected()       # HostNotConnected
        if not self.host.maintenance:
            raise fault('InvalidState', 'The operation is not allowed in the current state: '
                        'the host is not in maintenance mode.')

    def _apply_and_reboot(self, ctx, sections, refused):
        """Apply each section; a manager's refusal answers `refused(text)`."""
        for name, apply in APPLY:
            try:
                apply(self.host, ctx, sections[name])
            except self.server.schema.types['MethodFault'].cls as error:
                raise refused('%s: %s' % (name, message_of(error) or error._type.name)) \
                    from None
        events = event_manager(self.server)
        self.host.reboot(lambda kind, entity: events.post(kind, entity, ctx=ctx))


# -- sections: reading a host ---------------------------------------------------------------

def current_sections(host):
    """The host's configuration now, as a bundle's sections (JSON data)."""
    managers = host.managers
    T = host.T
    date_time = managers['dateTimeSystem']
    firewall = managers['firewallSystem']
    services = managers['serviceSystem']
    options = managers['advancedOption']
    return {
        'network': to_json(host.netconfig.config()),
        'dateTime': to_json(T.HostDateTimeConfig(
            protocol=date_time.protocol, ntpConfig=T.HostNtpConfig(
                server=list(date_time.ntp_servers), configFile=list(date_time.ntp_config_file)),
            ptpConfig=date_time.ptp_config, disableEvents=date_time.disable_events,
            disableFallback=date_time.disable_fallback)),
        'firewall': _firewall_json(firewall.default_policy, firewall.enabled, firewall.allowed),
        'services': _services_json(services.running, services.policy),
        'options': [to_json(T.OptionValue(key=key, value=value))
                    for key, value in options.values.items() if _restorable(key)],
        'autoStart': to_json(managers['autoStartManager'].config),
    }


def factory_sections(host):
    """A new host's configuration, as a bundle's sections."""
    T = host.T
    return {
        'network': to_json(HostNetworkState(host).config()),
        'dateTime': to_json(T.HostDateTimeConfig(resetToFactoryDefaults=True)),
        'firewall': _firewall_json(*factory_firewall(T)),
        'services': _services_json(*factory_services(host.server)),
        'options': [to_json(T.OptionValue(key=key, value=value))
                    for key, value in DEFAULTS.items() if _restorable(key)],
        'autoStart': to_json(T.HostAutoStartManagerConfig(defaults=factory_defaults(T))),
    }


def _restorable(key):
    """Settings a bundle carries: the writable ones but the host name (the
    network section's DNS configuration holds it)."""
    return not OPTIONS[key].readonly and key != HOST_NAME_OPTION


def _firewall_json(policy, enabled, allowed):
    return {'defaultPolicy': to_json(policy),
            'rulesets': [{'key': key, 'enabled': enabled[key], 'allowedHosts': to_json(allowed[key])}
                         for key in enabled]}


def _services_json(running, policy):
    return [{'key': key, 'running': running[key], 'policy': policy[key]} for key in running]


# -- sections: decoding a bundle -------------------------------------------------------------

def _header(document):
    for name, kind in (('host', str), ('uuid', str), ('buildNumber', int)):
        if type(document.get(name)) is not kind:
            raise BundleError('the header needs %s' % name)
    return document


def _plain(value, fields, where):
    """A plain JSON object of exactly `fields` ({name: Python type})."""
    if not isinstance(value, dict) or set(value) != set(fields):
        raise BundleError('%s: needs exactly %s' % (where, ', '.join(sorted(fields))))
    for name, kind in fields.items():
        if kind is not None and type(value[name]) is not kind:
            raise BundleError('%s.%s: not a %s' % (where, name, kind.__name__))
    return value


def _list(value, where):
    if not isinstance(value, list):
        raise BundleError('%s: not an array' % where)
    return value


def decode_sections(schema, sections):
    """The sections of a bundle's document, decoded and checked."""
    names = [name for name, _ in APPLY]
    if not isinstance(sections, dict) or set(sections) != set(names):
        raise BundleError('sections: needs exactly %s' % ', '.join(names))
    firewall = _plain(sections['firewall'], {'defaultPolicy': None, 'rulesets': list},
                      'firewall')
    enabled, allowed = {}, {}
    for index, item in enumerate(firewall['rulesets']):
        where = 'firewall.rulesets[%d]' % index
        item = _plain(item, {'key': str, 'enabled': bool, 'allowedHosts': None}, where)
        if item['key'] not in FIREWALL:
            raise BundleError('%s.key: no ruleset %r' % (where, item['key'][:60]))
        enabled[item['key']] = item['enabled']
        allowed[item['key']] = from_json(schema, item['allowedHosts'],
                                         'HostFirewallRulesetIpList', where + '.allowedHosts')
    running, policy = {}, {}
    for index, item in enumerate(_list(sections['services'], 'services')):
        where = 'services[%d]' % index
        item = _plain(item, {'key': str, 'running': bool, 'policy': str}, where)
        if item['key'] not in SERVICES or item['policy'] not in POLICIES:
            raise BundleError('%s: no service %r of policy %r' % (
                where, item['key'][:60], item['policy'][:20]))
        running[item['key']], policy[item['key']] = item['running'], item['policy']
    options = [from_json(schema, item, 'OptionValue', 'options[%d]' % index)
               for index, item in enumerate(_list(sections['options'], 'options'))]
    for index, option in enumerate(options):
        if option.key not in OPTIONS or not _restorable(option.key):
            raise BundleError('options[%d].key: no writable setting %r' % (index, option.key[:60]))
    return {
        'network': from_json(schema, sections['network'], 'HostNetworkConfig', 'network'),
        'dateTime': from_json(schema, sections['dateTime'], 'HostDateTimeConfig', 'dateTime'),
        'firewall': (from_json(schema, firewall['defaultPolicy'], 'HostFirewallDefaultPolicy',
                               'firewall.defaultPolicy'), enabled, allowed),
        'services': (running, policy),
        'options': options,
        'autoStart': from_json(schema, sections['autoStart'], 'HostAutoStartManagerConfig',
                               'autoStart'),
    }


# -- sections: applying them through the managers --------------------------------------------

def _apply_network(host, ctx, config):
    host.managers['networkSystem'].UpdateNetworkConfig(ctx, config, 'replace')


def _apply_date_time(host, ctx, config):
    host.managers['dateTimeSystem'].UpdateDateTimeConfig(ctx, config)


def _apply_firewall(host, ctx, section):
    """Before the services: a ruleset opening runs its `automatic` service,
    and the services' own section then sets what runs."""
    policy, enabled, allowed = section
    firewall = host.managers['firewallSystem']
    firewall.UpdateDefaultPolicy(ctx, policy)
    for ruleset in RULESETS:
        key = ruleset.key
        if key in enabled and ruleset.user_controllable and not ruleset.required and \
                firewall.enabled[key] != enabled[key]:
            (firewall.EnableRuleset if enabled[key] else firewall.DisableRuleset)(ctx, key)
        if key in allowed and ruleset.ip_list_configurable:
            firewall.UpdateRuleset(ctx, key, host.T.HostFirewallRulesetRulesetSpec(
                allowedHosts=allowed[key]))


def _apply_services(host, ctx, section):
    running, policy = section
    services = host.managers['serviceSystem']
    for key in running:
        services.UpdateServicePolicy(ctx, key, policy[key])
        if running[key] and not services.is_running(key):
            services.StartService(ctx, key)
        elif not running[key] and services.is_running(key) and not SERVICES[key].required:
            services.StopService(ctx, key)


def _apply_options(host, ctx, options):
    host.managers['advancedOption'].UpdateOptions(ctx, changedValue=options)


def _apply_auto_start(host, ctx, config):
    """The bundle's VMs that are still here take their settings; the others
    of the host leave the sequence."""
    T = host.T
    manager = host.managers['autoStartManager']
    here = {vm.ref for vm in host.vms}
    kept = [info for info in config.powerInfo if info.key in here]
    listed = {info.key for info in kept}
    leaving = [T.AutoStartPowerInfo(key=info.key, startOrder=-1, startDelay=-1,
                                    waitForHeartbeat='systemDefault', startAction='none',
                                    stopDelay=-1, stopAction='none')
               for info in manager.config.powerInfo if info.key not in listed]
    manager.ReconfigureAutostart(ctx, T.HostAutoStartManagerConfig(
        defaults=config.defaults, powerInfo=leaving + kept))


APPLY = (('network', _apply_network), ('dateTime', _apply_date_time),
         ('firewall', _apply_firewall), ('services', _apply_services),
         ('options', _apply_options), ('autoStart', _apply_auto_start))
