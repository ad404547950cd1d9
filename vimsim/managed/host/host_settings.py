"""Checks behind HostSystem's smaller settings (host_system.py holds the
methods): the BMC's IPMI login (UpdateIpmi, as vCenter checks it for DPM),
the system swap options (UpdateSystemSwapConfiguration) and the product
locker's location (UpdateProductLockerLocation_Task).

The simulated host's BMC answers at any address with the MAC address
`bmc_mac` (beside the host's NICs') and takes any login of 1-16 characters
with a password of 1-16 characters, as IPMI 2.0's fields are that long."""
import ipaddress
import os
import re

from vimsim.managed.host.host_network_system import host_mac
from vimsim.soap.fault import FileNotFound, InvalidArgument, fault

BMC_NIC = 14                        # host_mac's slot for the BMC (vmk0 is 15)
IPMI_FIELD_MAX = 16
PRODUCT_LOCKER_OPTION = 'UserVars.ProductLockerLocation'
DEFAULT_PRODUCT_LOCKER = '/locker/packages/vmtoolsRepo/'
_MAC = re.compile(r'^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$')
SWAP_OPTIONS = ('HostSystemSwapConfigurationDisabledOption',
                'HostSystemSwapConfigurationHostCacheOption',
                'HostSystemSwapConfigurationHostLocalSwapOption',
                'HostSystemSwapConfigurationDatastoreOption')


def bmc_mac(host):
    return host_mac(host.index, BMC_NIC)


def checked_ipmi(T, host, info):
    """The HostIpmiInfo `config.ipmi` keeps (no password), or None when the
    request clears it (every field unset)."""
    fields = (info.bmcIpAddress, info.bmcMacAddress, info.login, info.password)
    if not any(fields):
        return None
    try:
        ipaddress.ip_address(info.bmcIpAddress or '')
    except ValueError:
        raise InvalidArgument('ipmiInfo.bmcIpAddress') from None
    mac = info.bmcMacAddress or ''
    if not _MAC.match(mac):
        raise InvalidArgument('ipmiInfo.bmcMacAddress')
    if mac.lower() != bmc_mac(host):
        raise fault('InvalidIpmiMacAddress', 'The BMC MAC address %s does not match the '
                    'host\'s BMC (%s).' % (mac, bmc_mac(host)), userProvidedMacAddress=mac,
                    observedMacAddress=bmc_mac(host))
    if not 0 < len(info.login or '') <= IPMI_FIELD_MAX or \
            not 0 < len(info.password or '') <= IPMI_FIELD_MAX:
        raise fault('InvalidIpmiLoginInfo', 'The IPMI user name or password is invalid.')
    return T.HostIpmiInfo(bmcIpAddress=info.bmcIpAddress, bmcMacAddress=mac.lower(),
                          login=info.login)


def default_swap(T):
    """ESXi's: host cache first, then the host's local swap (an 8.0.3 host's)."""
    return T.HostSystemSwapConfiguration(option=[
        T.HostSystemSwapConfigurationHostCacheOption(key=0),
        T.HostSystemSwapConfigurationHostLocalSwapOption(key=1)])


def check_swap(host, config):
    """InvalidArgument for options hostd would not take: unknown kinds,
    two of a kind or of a key, `disabled` beside others, a datastore the
    host does not mount."""
    options = list(config.option)
    kinds = [option._type.name for option in options]
    if any(kind not in SWAP_OPTIONS for kind in kinds) or len(set(kinds)) != len(kinds):
        raise InvalidArgument('sysSwapConfig.option')
    if len({option.key for option in options}) != len(options) or \
            any(option.key is None or option.key < 0 for option in options):
        raise InvalidArgument('sysSwapConfig.option.key')
    if SWAP_OPTIONS[0] in kinds and len(options) > 1:
        raise InvalidArgument('sysSwapConfig.option')
    for option in options:
        if option._type.name == SWAP_OPTIONS[3] and not any(
                ds.name == option.datastore and ds.accessible_on(host)
                for ds in host.datastores):
            raise InvalidArgument('sysSwapConfig.option.datastore')


def check_locker(host, path):
    """FileNotFound unless `path` is the default locker or a directory on a
    datastore the host mounts (/vmfs/volumes/<datastore>/<directory>)."""
    from vimsim.managed.storage.file_manager import volume_file
    if path == DEFAULT_PRODUCT_LOCKER:
        return
    _, local = volume_file(host, path)
    if local is None or not os.path.isdir(local):
        raise FileNotFound(path)
