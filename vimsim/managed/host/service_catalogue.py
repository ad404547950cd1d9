"""ESXi 8.0's services (HostServiceSystem.serviceInfo of a real 8.0 U3 host)
as a fresh install starts them: SSH, the ESXi Shell and NTP stopped, the
vCenter agent running only when a vCenter manages the host.

Each is (key, label, required, running, policy, rulesets, source package).
"""
from collections import namedtuple

Service = namedtuple('Service', 'key label required running policy rulesets package')

BASE = 'esx-base'
PACKAGES = {
    BASE: 'This VIB contains all of the base functionality of vSphere ESXi.',
    'vmware-hbrsrv': 'This VIB contains all of the functionality of vSphere Replication.',
    'infravisor': 'This VIB contains all of the base functionality of infravisor spherelet.',
    'esx-xserver': 'This VIB contains X Server used for virtual machine 3D hardware '
                   'acceleration.',
}

# vpxa's running state is the simulator's mode: see host_service_system.py.
VCENTER_AGENT = 'vpxa'

SERVICES = (
    Service('DCUI', 'Direct Console UI', False, True, 'on', (), BASE),
    Service('TSM', 'ESXi Shell', False, False, 'off', (), BASE),
    Service('TSM-SSH', 'SSH', False, False, 'off', (), BASE),
    Service('apiForwarder', 'apiForwarder', False, True, 'on', (), BASE),
    Service('attestd', 'attestd', False, False, 'off', (), BASE),
    Service('entropyd', 'entropyd', False, False, 'off', (), BASE),
    Service('gpuManager', 'gpuManager', False, False, 'on', (), BASE),
    Service('hbrsrv', 'hbrsrv', False, False, 'off', (), 'vmware-hbrsrv'),
    Service('infravisor', 'infravisor', False, True, 'on', (), 'infravisor'),
    Service('kmxd', 'kmxd', False, False, 'off', (), BASE),
    Service('lbtd', 'Load-Based Teaming Daemon', False, True, 'on', (), BASE),
    Service('lwsmd', 'Active Directory Service', False, False, 'off', (), BASE),
    Service('ntpd', 'NTP Daemon', False, False, 'off', (), BASE),
    Service('nvmf-discoveryd', 'nvmf-discoveryd', False, False, 'off', (), BASE),
    Service('pcscd', 'PC/SC Smart Card Daemon', False, False, 'off', (), BASE),
    Service('ptpd', 'PTP Daemon', False, False, 'off', (), BASE),
    Service('sfcbd-watchdog', 'CIM Server', False, False, 'on', (), BASE),
    Service('slpd', 'slpd', False, False, 'off', (), BASE),
    Service('snmpd', 'SNMP Server', False, False, 'on', (), BASE),
    Service('vdtc', 'VDTC Service', False, True, 'on', (), BASE),
    Service('vmsyslogd', 'Syslog Server', True, True, 'on', (), BASE),
    Service(VCENTER_AGENT, 'VMware vCenter Agent', False, True, 'on', ('vpxHeartbeats',), BASE),
    Service('xorg', 'X.Org Server', False, False, 'on', (), 'esx-xserver'),
)
