"""The software iSCSI adapter (vmhba65, as ESXi names it) and the simulated
arrays behind its targets: part of the host's storage device model.

The rule for what a target brings in: every iSCSI target is a port of a
simulated array exposing one 100 GiB LUN (LUN 0). The LUN's NAA id derives
from the target's IQN, so two hosts that add the same target see the same
device. A send target (a discovery address A:port) reports one target,
`iqn.2024-01.com.vimsim.array:A`, which a rescan (RescanAllHba, or
RescanHba of vmhba65) adds as a discovered static target (discoveryMethod
sendTargetMethod, parent A:port), bringing its LUN in; a static target's
LUN comes in as it is added.

The arrays are the datacenter's: the LUN behind a target IQN is one device
for every host of the datacenter that adds the target, with one Medium
(storage_devices.SharedMedia, keyed by the IQN).
"""
import hashlib
import re

from vimsim.managed.host.storage_devices import GiB_SECTORS, ScsiDisk
from vimsim.soap.fault import InvalidArgument

SOFTWARE_ADAPTER = 'vmhba65'
ISCSI_PORT = 3260
LUN_BLOCKS = 100 * GiB_SECTORS
ARRAY_IQN = 'iqn.2024-01.com.vimsim.array:%s'
_IQN = re.compile(r'^iqn\.\d{4}-(0[1-9]|1[0-2])\.[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[^\s]*)?$',
                  re.IGNORECASE)
_EUI = re.compile(r'^eui\.[0-9A-Fa-f]{16}$')
CHAP_TYPES = ('chapProhibited', 'chapDiscouraged', 'chapPreferred', 'chapRequired')
DIGEST_TYPES = ('digestProhibited', 'digestDiscouraged', 'digestPreferred', 'digestRequired')
# the adapter's advanced parameters: key -> (min, max, default); bools as (None, None, default)
ADVANCED = {
    'ErrorRecoveryLevel': (0, 2, 0), 'LoginRetryMax': (0, 64, 4),
    'MaxOutstandingR2T': (1, 8, 1), 'FirstBurstLength': (512, 16777215, 262144),
    'MaxBurstLength': (512, 16777215, 262144), 'MaxRecvDataSegLen': (512, 16777215, 131072),
    'MaxCommands': (2, 2048, 128), 'DefaultTimeToWait': (0, 60, 2),
    'DefaultTimeToRetain': (0, 60, 0), 'LoginTimeout': (1, 60, 5),
    'LogoutTimeout': (0, 60, 15), 'RecoveryTimeout': (1, 120, 10),
    'NoopTimeout': (10, 30, 10), 'NoopInterval': (1, 60, 15),
    'InitR2T': (None, None, False), 'ImmediateData': (None, None, True),
    'DelayedAck': (None, None, True),
}


def valid_iscsi_name(name):
    """An iqn.YYYY-MM.domain[:id] or eui.<16 hex> name (RFC 3720)."""
    return isinstance(name, str) and len(name) <= 223 and bool(
        _IQN.match(name) or _EUI.match(name))


class Target:
    """A static target (configured, or discovered through a send target)."""

    def __init__(self, address, port, iqn, method='staticMethod', parent=None):
        self.address, self.port, self.iqn = address, port, iqn
        self.method, self.parent = method, parent
        self.number = None          # its SCSI target number on the adapter, once it has a LUN
        self.auth = None            # the target's own HostInternetScsiHbaAuthenticationProperties
        self.digest = None
        self.advanced = {}

    @property
    def key(self):
        return (self.address, self.port, self.iqn)


class SendTarget:
    def __init__(self, address, port):
        self.address, self.port = address, port
        self.auth = None
        self.digest = None
        self.advanced = {}

    @property
    def key(self):
        return (self.address, self.port)

    @property
    def name(self):
        return '%s:%d' % (self.address, self.port)

    def reported(self):
        """The target the array at this address reports."""
        return Target(self.address, self.port, ARRAY_IQN % self.address, 'sendTargetMethod',
                      self.name)


class SoftwareIscsiAdapter:
    """vmhba65's settings and targets."""

    def __init__(self, T, host_name):
        short = host_name.split('.')[0].lower()
        self.iqn = 'iqn.1998-01.com.vmware:%s-%s' % (
            re.sub(r'[^a-z0-9-]', '-', short), hashlib.sha1(host_name.encode()).hexdigest()[:8])
        self.alias = ''
        self.auth = T.HostInternetScsiHbaAuthenticationProperties(
            chapAuthEnabled=False, chapAuthenticationType='chapProhibited',
            mutualChapAuthenticationType='chapProhibited')
        self.digest = T.HostInternetScsiHbaDigestProperties(
            headerDigestType='digestProhibited', dataDigestType='digestProhibited')
        self.discovery = T.HostInternetScsiHbaDiscoveryProperties(
            iSnsDiscoveryEnabled=False, slpDiscoveryEnabled=False,
            staticTargetDiscoveryEnabled=True, sendTargetsDiscoveryEnabled=True)
        self.ip = T.HostInternetScsiHbaIPProperties(dhcpConfigurationEnabled=False)
        self.advanced = {}
        self.send_targets = []
        self.static_targets = []

    def hba(self, T):
        def option_defs():
            return [advanced_def(T, key) for key in ADVANCED]
        return T.HostInternetScsiHba(
            key='key-vim.host.InternetScsiHba-%s' % SOFTWARE_ADAPTER, device=SOFTWARE_ADAPTER,
            bus=0, status='online', model='iSCSI Software Adapter', driver='iscsi_vmk',
            storageProtocol='scsi', isSoftwareBased=True, canBeDisabled=True,
            networkBindingSupport='optional',
            discoveryCapabilities=T.HostInternetScsiHbaDiscoveryCapabilities(
                iSnsDiscoverySettable=False, slpDiscoverySettable=False,
                staticTargetDiscoverySettable=False, sendTargetsDiscoverySettable=False),
            discoveryProperties=self.discovery,
            authenticationCapabilities=T.HostInternetScsiHbaAuthenticationCapabilities(
                chapAuthSettable=True, krb5AuthSettable=False, srpAuthSettable=False,
                spkmAuthSettable=False, mutualChapSettable=True, targetChapSettable=True,
                targetMutualChapSettable=True),
            authenticationProperties=self.auth,
            digestCapabilities=T.HostInternetScsiHbaDigestCapabilities(
                headerDigestSettable=True, dataDigestSettable=True,
                targetHeaderDigestSettable=True, targetDataDigestSettable=True),
            digestProperties=self.digest,
            ipCapabilities=T.HostInternetScsiHbaIPCapabilities(
                addressSettable=False, ipConfigurationMethodSettable=False,
                subnetMaskSettable=False, defaultGatewaySettable=False,
                primaryDnsServerAddressSettable=False, alternateDnsServerAddressSettable=False,
                ipv6Supported=True, arpRedirectSettable=False, mtuSettable=False,
                hostNameAsTargetAddress=True, nameAliasSettable=True),
            ipProperties=self.ip, supportedAdvancedOptions=option_defs(),
            advancedOptions=param_values(T, self.advanced),
            iScsiName=self.iqn, iScsiAlias=self.alias,
            configuredSendTarget=[T.HostInternetScsiHbaSendTarget(
                address=t.address, port=t.port, authenticationProperties=t.auth,
                digestProperties=t.digest, advancedOptions=param_values(T, t.advanced),
                supportedAdvancedOptions=option_defs()) for t in self.send_targets],
            configuredStaticTarget=[T.HostInternetScsiHbaStaticTarget(
                address=t.address, port=t.port, iScsiName=t.iqn, discoveryMethod=t.method,
                parent=t.parent, authenticationProperties=t.auth, digestProperties=t.digest,
                advancedOptions=param_values(T, t.advanced),
                supportedAdvancedOptions=option_defs()) for t in self.static_targets],
            maxSpeedMb=10000, currentSpeedMb=10000)

    def target_number(self):
        """The lowest SCSI target number no target of this adapter has."""
        taken = {t.number for t in self.static_targets if t.number is not None}
        return next(n for n in range(len(taken) + 1) if n not in taken)


def advanced_def(T, key):
    low, high, default = ADVANCED[key]
    kind = T.BoolOption(supported=True, defaultValue=default) if low is None else \
        T.LongOption(min=low, max=high, defaultValue=default)
    return T.OptionDef(label=key, summary=key, key=key, optionType=kind)


def param_values(T, values):
    return [T.HostInternetScsiHbaParamValue(key=key, value=value, isInherited=False)
            for key, value in sorted(values.items())]


def checked_advanced(options):
    """{key: value} of HostInternetScsiHbaParamValues, each a known key with a
    value of its type in range; InvalidArgument names the first that is not."""
    found = {}
    for index, option in enumerate(options):
        bounds = ADVANCED.get(option.key)
        value = option.value
        if bounds is None:
            raise InvalidArgument('options[%d].key' % index)
        low, high, _ = bounds
        if low is None:
            ok = isinstance(value, bool)
        else:
            ok = isinstance(value, int) and not isinstance(value, bool) and \
                low <= value <= high
        if not ok:
            raise InvalidArgument('options[%d].value' % index)
        found[option.key] = value
    return found


def checked_auth(properties, argument):
    for name in ('chapAuthenticationType', 'mutualChapAuthenticationType'):
        value = getattr(properties, name)
        if value is not None and value not in CHAP_TYPES:
            raise InvalidArgument('%s.%s' % (argument, name))
    if properties.chapAuthEnabled and properties.chapAuthenticationType in (
            'chapPreferred', 'chapRequired', 'chapDiscouraged') and not properties.chapName:
        raise InvalidArgument('%s.chapName' % argument)
    return properties


def checked_digest(properties, argument):
    for name in ('headerDigestType', 'dataDigestType'):
        value = getattr(properties, name)
        if value is not None and value not in DIGEST_TYPES:
            raise InvalidArgument('%s.%s' % (argument, name))
    return properties


def lun_for(target, number, medium):
    """The one LUN the array behind `target` exposes (as SCSI target
    `number`), its contents `medium`."""
    naa = '6' + hashlib.sha1(target.iqn.encode()).hexdigest()[:31]
    disk = ScsiDisk('naa.' + naa, '0200000000%s495343534920' % naa, SOFTWARE_ADAPTER, number,
                    LUN_BLOCKS, 'iSCSI Disk      ', ssd=False,
                    device_id='0200000000%s495343534920' % naa)
    disk.local = False
    disk.vendor = 'VIMSIM  '
    disk.display_name = 'VIMSIM iSCSI Disk (naa.%s)' % naa
    disk.iscsi_target = target
    disk.medium = medium
    target.number = number
    return disk
