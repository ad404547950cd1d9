"""The user input applying a host profile to a host needs (what an answer
file holds): each VMkernel port group's address (`UserInputIpAddress`:
address, subnetmask), and the password of each local user the profile
has and the host lacks (`UserInputPasswordConfigOption`: password). An
input is named by its profile path; ExecuteHostProfile takes the answers
from its deferred parameters, else the host's answer file.
"""
import ipaddress
from collections import namedtuple

from vimsim.managed.admin.host_profile_settings import BY_NAME, IP_INPUT, IP_POLICY, profile_path
from vimsim.managed.admin.profile import make

ADDRESS, MASK, PASSWORD = 'address', 'subnetmask', 'password'
USER_POLICY, PASSWORD_INPUT = 'UserAccountPolicy', 'UserInputPasswordConfigOption'

# family: the instance of a family it is about; path: its input path
Input = namedtuple('Input', 'family name path policy option')


def inputs(wanted, have):
    """The Inputs a host whose settings are `have` needs for a profile's `wanted`."""
    out = []
    for name, values in sorted((wanted.get('hostPortGroup') or {}).items()):
        if values is not None:
            out.append(Input('hostPortGroup', name,
                             profile_path(BY_NAME['hostPortGroup'], name) + '.ipConfig',
                             IP_POLICY, IP_INPUT))
    for name, values in sorted((wanted.get('userAccount') or {}).items()):
        if values is not None and name not in have['userAccount']:
            out.append(Input('userAccount', name, profile_path(BY_NAME['userAccount'], name),
                             USER_POLICY, PASSWORD_INPUT))
    return out


def input_path(types, item):
    return make(types, 'ProfilePropertyPath', profilePath=item.path, policyId=item.policy,
                policyOptionId=item.option)


def given(parameters):
    """{profile path: {key: value}} of deferred parameters (or an answer file's)."""
    return {item.inputPath.profilePath: {kv.key: kv.value for kv in item.parameter}
            for item in parameters}


def checked(item, values):
    """The answer to `item` as config_spec takes it (ValueError)."""
    if item.option == IP_INPUT:
        address, mask = values.get(ADDRESS), values.get(MASK)
        if not isinstance(address, str) or not isinstance(mask, str):
            raise ValueError('the address and subnet mask are required')
        try:
            ipaddress.IPv4Address(address)
            ipaddress.IPv4Network('0.0.0.0/%s' % mask)
        except ValueError:
            raise ValueError('%s/%s is not an IPv4 address and subnet mask' % (
                address[:40], mask[:40])) from None
        return {ADDRESS: address, MASK: mask}
    password = values.get(PASSWORD)
    if not isinstance(password, str) or not password:
        raise ValueError('the password of user %s is required' % item.name)
    return {PASSWORD: password}


def proposal(host, item):
    """What the host has for `item` now (a VMkernel NIC's address), as parameters."""
    if item.option != IP_INPUT:
        return {}
    vnic = next((v for v in host.netconfig.vnics.values() if v.portgroup == item.name), None)
    ip = vnic.spec.ip if vnic is not None else None
    if ip is None or not ip.ipAddress:
        return {}
    return {ADDRESS: ip.ipAddress, MASK: ip.subnetMask}


def parameter(types, item, values):
    """A ProfileDeferredPolicyOptionParameter of `item` holding `values`."""
    return make(types, 'ProfileDeferredPolicyOptionParameter',
                inputPath=input_path(types, item),
                parameter=[make(types, 'KeyAnyValue', key=key, value=value)
                           for key, value in values.items()])
