"""vCenter's guest operating system catalogue (the part the simulator
offers): by guestId, the full name a VM's config and summary report, the
family guest info and customization go by, and the recommendations
EnvironmentBrowser's GuestOsDescriptor gives (memory, disk size, disk
controller, NIC, firmware), as an ESXi 8 / 9 host describes them."""
from collections import namedtuple

GuestOs = namedtuple('GuestOs', 'id full_name family memory_mb disk_mb disk_controller nic '
                                'firmware')

_LINUX = 'linuxGuest'
_WINDOWS = 'windowsGuest'
_PVSCSI = 'ParaVirtualSCSIController'
_LSI_SAS = 'VirtualLsiLogicSASController'
_LSI = 'VirtualLsiLogicController'

GUEST_OS = {os.id: os for os in (
    GuestOs('otherGuest', 'Other (32-bit)', 'otherGuestFamily', 256, 8192, _LSI,
            'VirtualE1000', 'bios'),
    GuestOs('otherGuest64', 'Other (64-bit)', 'otherGuestFamily', 256, 8192, _LSI,
            'VirtualE1000', 'bios'),
    GuestOs('otherLinux64Guest', 'Other Linux (64-bit)', _LINUX, 1024, 16384, _LSI,
            'VirtualVmxnet3', 'bios'),
    GuestOs('other5xLinux64Guest', 'Other 5.x Linux (64-bit)', _LINUX, 2048, 16384, _PVSCSI,
            'VirtualVmxnet3', 'efi'),
    GuestOs('other6xLinux64Guest', 'Other 6.x or later Linux (64-bit)', _LINUX, 2048, 16384,
            _PVSCSI, 'VirtualVmxnet3', 'efi'),
    GuestOs('ubuntu64Guest', 'Ubuntu Linux (64-bit)', _LINUX, 2048, 16384, _PVSCSI,
            'VirtualVmxnet3', 'efi'),
    GuestOs('debian11_64Guest', 'Debian GNU/Linux 11 (64-bit)', _LINUX, 2048, 16384, _PVSCSI,
            'VirtualVmxnet3', 'efi'),
    GuestOs('debian12_64Guest', 'Debian GNU/Linux 12 (64-bit)', _LINUX, 2048, 16384, _PVSCSI,
            'VirtualVmxnet3', 'efi'),
    GuestOs('rhel7_64Guest', 'Red Hat Enterprise Linux 7 (64-bit)', _LINUX, 2048, 16384,
            _PVSCSI, 'VirtualVmxnet3', 'bios'),
    GuestOs('rhel8_64Guest', 'Red Hat Enterprise Linux 8 (64-bit)', _LINUX, 2048, 16384,
            _PVSCSI, 'VirtualVmxnet3', 'efi'),
    GuestOs('rhel9_64Guest', 'Red Hat Enterprise Linux 9 (64-bit)', _LINUX, 2048, 16384,
            _PVSCSI, 'VirtualVmxnet3', 'efi'),
    GuestOs('centos8_64Guest', 'CentOS 8 (64-bit)', _LINUX, 2048, 16384, _PVSCSI,
            'VirtualVmxnet3', 'efi'),
    GuestOs('rockylinux_64Guest', 'Rocky Linux (64-bit)', _LINUX, 2048, 16384, _PVSCSI,
            'VirtualVmxnet3', 'efi'),
    GuestOs('almalinux_64Guest', 'AlmaLinux (64-bit)', _LINUX, 2048, 16384, _PVSCSI,
            'VirtualVmxnet3', 'efi'),
    GuestOs('sles15_64Guest', 'SUSE Linux Enterprise 15 (64-bit)', _LINUX, 2048, 16384,
            _PVSCSI, 'VirtualVmxnet3', 'efi'),
    GuestOs('vmwarePhoton64Guest', 'VMware Photon OS (64-bit)', _LINUX, 2048, 16384, _PVSCSI,
            'VirtualVmxnet3', 'efi'),
    GuestOs('windows9_64Guest', 'Microsoft Windows 10 (64-bit)', _WINDOWS, 2048, 32768,
            _LSI_SAS, 'VirtualE1000e', 'efi'),
    GuestOs('windows11_64Guest', 'Microsoft Windows 11 (64-bit)', _WINDOWS, 4096, 65536,
            'VirtualNVMEController', 'VirtualE1000e', 'efi'),
    GuestOs('windows2019srv_64Guest', 'Microsoft Windows Server 2019 (64-bit)', _WINDOWS,
            2048, 40960, _LSI_SAS, 'VirtualE1000e', 'efi'),
    GuestOs('windows2019srvNext_64Guest', 'Microsoft Windows Server 2022 (64-bit)', _WINDOWS,
            2048, 40960, _LSI_SAS, 'VirtualE1000e', 'efi'),
    GuestOs('windows2022srvNext_64Guest', 'Microsoft Windows Server 2025 (64-bit)', _WINDOWS,
            4096, 65536, _LSI_SAS, 'VirtualE1000e', 'efi'),
    GuestOs('freebsd13_64Guest', 'FreeBSD 13 (64-bit)', 'otherGuestFamily', 2048, 16384,
            _PVSCSI, 'VirtualVmxnet3', 'bios'),
    GuestOs('freebsd14_64Guest', 'FreeBSD 14 (64-bit)', 'otherGuestFamily', 2048, 16384,
            _PVSCSI, 'VirtualVmxnet3', 'efi'),
    GuestOs('solaris11_64Guest', 'Oracle Solaris 11 (64-bit)', 'solarisGuest', 2048, 16384,
            _LSI_SAS, 'VirtualVmxnet3', 'bios'),
    GuestOs('darwin22_64Guest', 'Apple macOS 13 (64-bit)', 'darwinGuestFamily', 4096, 40960,
            'VirtualAHCIController', 'VirtualE1000e', 'efi'),
)}

GUEST_NAMES = {os.id: os.full_name for os in GUEST_OS.values()}
GUEST_FAMILY = {os.id: os.family for os in GUEST_OS.values()}
