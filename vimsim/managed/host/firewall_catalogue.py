"""ESXi 8.0's firewall rulesets (`esxcli network firewall ruleset list`, and
HostFirewallSystem.firewallInfo of a real 8.0 U3 host), as a fresh install
ships them: which are open, which the user may open or close
(`userControllable`, since 8.0.2 most are managed by their services) and
which take an allowed-IP list.

Rules are (port, endPort or None, direction, portType, protocol).
"""
from collections import namedtuple

Ruleset = namedtuple('Ruleset', 'key label enabled required service user_controllable '
                                'ip_list_configurable rules')


def _in(port, protocol='tcp', end=None):
    return (port, end, 'inbound', 'dst', protocol)


def _out(port, protocol='tcp', end=None):
    return (port, end, 'outbound', 'dst', protocol)


def _both(port, protocol='tcp', end=None):
    return (_in(port, protocol, end), _out(port, protocol, end))


RULESETS = (
    Ruleset('CIMHttpServer', 'CIM Server', True, False, None, False, True, (_in(5988),)),
    Ruleset('CIMHttpsServer', 'CIM Secure Server', False, False, None, False, True,
            (_in(5989),)),
    Ruleset('CIMSLP', 'CIM SLP', False, False, None, False, True,
            _both(427, 'udp') + _both(427)),
    Ruleset('DHCPv6', 'DHCPv6', True, False, None, False, True,
            (_out(547), _in(546), _out(547, 'udp'), _in(546, 'udp'))),
    Ruleset('DVFilter', 'DVFilter', False, False, None, True, True, (_in(2222),)),
    Ruleset('DVSSync', 'DVSSync', True, False, None, False, True,
            _both(8301, 'udp') + _both(8302, 'udp')),
    Ruleset('HBR', 'HBR', True, False, None, False, True, (_out(31031), _out(44046))),
    Ruleset('NFC', 'NFC', True, False, None, False, True, _both(902)),
    Ruleset('WOL', 'WOL', True, False, None, True, True, (_out(9, 'udp'),)),
    Ruleset('activeDirectoryAll', 'Active Directory All', False, False, None, False, True,
            (_out(88, 'udp'), _out(88), _out(123, 'udp'), _out(137, 'udp'), _out(139),
             _out(389), _out(389, 'udp'), _out(445), _out(464, 'udp'), _out(464),
             _out(3268), _out(7476), _in(2020))),
    Ruleset('cmmds', 'vSAN Clustering Service', True, False, None, False, True,
            _both(12345, 'udp') + _both(23451, 'udp') + _both(12321, 'udp')),
    Ruleset('dhcp', 'DHCP Client', True, False, None, False, True,
            (_in(68, 'udp'), (68, None, 'outbound', 'src', 'udp'))),
    Ruleset('dns', 'DNS Client', True, False, None, True, True,
            (_out(53, 'udp'), _out(53))),
    Ruleset('esxupdate', 'esxupdate', False, False, None, False, True, (_out(443),)),
    Ruleset('faultTolerance', 'Fault Tolerance', True, False, None, True, True,
            (_out(80),) + _both(8300)),
    Ruleset('ftpClient', 'FTP Client', False, False, None, True, True,
            (_out(21), (20, None, 'inbound', 'src', 'tcp'))),
    Ruleset('gdbserver', 'gdbserver', False, False, None, True, True,
            (_in(1000, end=9999), _in(50000, end=50999))),
    Ruleset('httpClient', 'httpClient', False, False, None, True, True, (_out(80), _out(443))),
    Ruleset('iSCSI', 'Software iSCSI Client', False, False, None, False, True, (_out(3260),)),
    Ruleset('iofiltervp', 'iofiltervp', True, False, None, False, True, (_in(9080),)),
    Ruleset('ipfam', 'NSX Distributed Logical Router Service', False, False, None, True, True,
            _both(6999, 'udp')),
    Ruleset('nfs41Client', 'nfs41Client', False, False, None, False, False,
            (_out(0, end=65535),)),
    Ruleset('nfsClient', 'NFS Client', False, False, None, False, False,
            (_out(0, end=65535),)),
    Ruleset('ntpClient', 'NTP Client', False, False, None, False, True, (_out(123, 'udp'),)),
    Ruleset('ptpd', 'PTP Client', False, False, None, False, True,
            _both(319, 'udp', 320)),
    Ruleset('rdt', 'vSAN Transport', True, False, None, False, True,
            _both(2233) + _both(12443)),
    Ruleset('remoteSerialPort', 'VM serial port connected over network', False, False, None,
            True, True, (_out(0, end=65535), _in(23), _in(1024, end=65535))),
    Ruleset('snmp', 'SNMP Server', False, False, None, False, True, (_in(161, 'udp'),)),
    Ruleset('sshClient', 'SSH Client', False, False, None, True, True, (_out(22),)),
    Ruleset('sshServer', 'SSH Server', True, True, None, True, True, (_in(22),)),
    Ruleset('syslog', 'syslog', False, False, None, True, True,
            (_out(514, 'udp'), _out(514), _out(1514))),
    Ruleset('updateManager', 'vCenter Update Manager', True, False, None, True, True,
            (_out(80), _out(9000, end=9100))),
    Ruleset('vMotion', 'vMotion', True, False, None, False, True, _both(8000)),
    Ruleset('vSPC', 'VM serial port connected to vSPC', False, False, None, True, True,
            (_out(0, end=65535),)),
    Ruleset('vSphereClient', 'vSphere Web Client', True, True, None, True, True,
            (_in(902), _in(443))),
    Ruleset('vpxHeartbeats', 'VMware vCenter Agent', True, False, 'vpxa', False, True,
            (_out(902, 'udp'),)),
    Ruleset('vsanEncryption', 'vsanEncryption', False, False, None, False, False,
            (_out(0, end=65535),)),
    Ruleset('vsanhealth-unicasttest', 'vsanhealth-unicasttest', False, False, None, False,
            True, _both(5201, 'udp') + _both(5201)),
    Ruleset('webAccess', 'vSphere Web Access', True, False, None, True, True, (_in(80),)),
)
