"""What vCenter checks when it connects to a host (AddStandaloneHost_Task,
AddHost_Task, ReconnectHost_Task, QueryConnectionInfo): the host name, the
port, the host's SSL certificate and the login.

The simulator simulates an ESXi at any valid host name. Its certificate
identity derives from the name, so its thumbprint is known before the host
is added, and the same name always presents the same thumbprint. Its login
is ESXi's root account, which accepts any non-empty password (a fresh ESXi
has whatever root password its installer was given; the simulator knows
none, so it refuses only what no ESXi accepts).
"""
import hashlib
import ipaddress
import re

from vimsim.soap.fault import fault

ESX_PORT = 443
ESX_USER = 'root'
_LABEL = re.compile(r'^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$')


def _thumbprint(text):
    digest = hashlib.sha1(text.encode()).hexdigest().upper()
    return ':'.join(digest[i:i + 2] for i in range(0, 40, 2))


def host_thumbprint(host_name):
    """The SHA-1 thumbprint of the certificate the simulated ESXi at
    `host_name` presents (names are case-insensitive, as DNS is)."""
    return _thumbprint('CN=%s, OU=VMware ESX Server Default Certificate' % host_name.lower())


def valid_host_name(name):
    """Whether `name` is an IP address or a DNS name a host can have."""
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    labels = name.rstrip('.').split('.')
    return len(name) <= 253 and all(_LABEL.match(label) for label in labels)


def check_host_name(host_name, port=None):
    """NoHost for a name no host can have; HostConnectFault for a port other
    than ESXi's 443 (nothing listens there)."""
    if not host_name or not valid_host_name(host_name):
        raise fault('NoHost', 'Cannot contact the specified host (%s). The host may not be '
                    'available on the network, a network configuration problem may exist, or '
                    'the management services on this host may not be responding.'
                    % (host_name or ''), name=host_name or '')
    if port not in (None, 0, ESX_PORT):
        raise fault('HostConnectFault', 'Cannot contact the specified host (%s) on port %d.'
                    % (host_name, port))


def check_certificate(host_name, ssl_thumbprint):
    """SSLVerifyFault carrying the host's thumbprint unless `ssl_thumbprint`
    is it: the host's certificate is self-signed, so only its thumbprint makes
    vCenter trust it."""
    expected = host_thumbprint(host_name)
    if (ssl_thumbprint or '').strip().upper() != expected:
        raise fault('SSLVerifyFault', "Authenticity of the host's SSL certificate is not "
                    'verified.', selfSigned=True, thumbprint=expected)


def check_login(user_name, password):
    if user_name != ESX_USER or not password:
        raise fault('InvalidLogin', 'Cannot complete login due to an incorrect user name '
                    'or password.')


def check_host_connect(spec, host_name, ssl_thumbprint):
    """A HostConnectSpec's checks in vCenter's order: reaching the host, its
    certificate, then the login."""
    check_host_name(host_name, spec.port)
    check_certificate(host_name, ssl_thumbprint)
    check_login(spec.userName, spec.password)
