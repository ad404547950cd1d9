"""The guest operating systems the simulator knows by guestId: the full name
a VM's config and summary report, and the family guest info and
customization go by."""

GUEST_NAMES = {
    'otherGuest64': 'Other (64-bit)', 'otherGuest': 'Other (32-bit)',
    'otherLinux64Guest': 'Other Linux (64-bit)', 'ubuntu64Guest': 'Ubuntu Linux (64-bit)',
    'windows2019srv_64Guest': 'Microsoft Windows Server 2019 (64-bit)',
}
GUEST_FAMILY = {'otherGuest64': 'otherGuestFamily', 'otherGuest': 'otherGuestFamily',
                'otherLinux64Guest': 'linuxGuest', 'ubuntu64Guest': 'linuxGuest',
                'windows2019srv_64Guest': 'windowsGuest'}
