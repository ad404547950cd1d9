"""Hosts: HostSystem and the configuration managers it lists
(HostSystem.configManager), and HostSnmpSystem."""
