"""The four customization specifications govmomi's vcsim ships in its
CustomizationSpecManager (vcsim-linux, vcsim-linux-static,
vcsim-windows-static, vcsim-windows-domain).

A real vCenter starts with none; vimsim has these so that suites written
against vcsim (`govc vm.customize ... vcsim-linux-static`, govmomi's
examples, Terraform's tests) find them. Each is a complete, valid spec:
CustomizeVM_Task applies it as it applies any other. The Windows domain
spec's passwords are marked encrypted (plainText false), as vcsim's are;
nothing in the simulator reads them.
"""
DNS_SERVER = '127.0.1.1'
STATIC_GATEWAY = '10.0.0.1'
STATIC_MASK = '255.255.255.0'
DOMAIN = 'eng.vmware.com'


def vcsim_specs(T):
    """[CustomizationSpecItem] of vcsim's four specs, made with the schema's
    classes `T` (schema.types by name); their changeVersion and time are
    stamped by the manager."""
    def adapter(dhcp):
        if dhcp:
            settings = T['CustomizationIPSettings'].cls(ip=T['CustomizationDhcpIpGenerator'].cls())
        else:   # the address is given at CustomizeVM time (govc vm.customize -ip)
            settings = T['CustomizationIPSettings'].cls(
                ip=T['CustomizationUnknownIpGenerator'].cls(), subnetMask=STATIC_MASK,
                gateway=[STATIC_GATEWAY])
        return [T['CustomizationAdapterMapping'].cls(adapter=settings)]

    def linux(name, host_name, time_zone, dhcp):
        return item(name, 'Linux', T['CustomizationSpec'].cls(
            options=T['CustomizationLinuxOptions'].cls(),
            identity=T['CustomizationLinuxPrep'].cls(
                hostName=host_name, domain=DOMAIN, timeZone=time_zone, hwClockUTC=True),
            globalIPSettings=T['CustomizationGlobalIPSettings'].cls(dnsServerList=[DNS_SERVER]),
            nicSettingMap=adapter(dhcp)))

    def windows(name, time_zone, full_name, identification, password):
        return item(name, 'Windows', T['CustomizationSpec'].cls(
            options=T['CustomizationWinOptions'].cls(changeSID=True, deleteAccounts=False),
            identity=T['CustomizationSysprep'].cls(
                guiUnattended=T['CustomizationGuiUnattended'].cls(
                    password=password, timeZone=time_zone, autoLogon=False, autoLogonCount=1),
                userData=T['CustomizationUserData'].cls(
                    fullName=full_name, orgName='VMware',
                    computerName=T['CustomizationVirtualMachineName'].cls(), productId=''),
                identification=identification,
                licenseFilePrintData=T['CustomizationLicenseFilePrintData'].cls(
                    autoMode='perServer', autoUsers=5)),
            globalIPSettings=T['CustomizationGlobalIPSettings'].cls(),
            nicSettingMap=adapter(dhcp=False)))

    def item(name, kind, spec):
        return T['CustomizationSpecItem'].cls(
            info=T['CustomizationSpecInfo'].cls(name=name, description='', type=kind),
            spec=spec)

    def encrypted(text):
        return T['CustomizationPassword'].cls(value=text, plainText=False)

    Identification = T['CustomizationIdentification'].cls
    return [
        linux('vcsim-linux', T['CustomizationVirtualMachineName'].cls(), 'Pacific/Apia',
              dhcp=True),
        linux('vcsim-linux-static', T['CustomizationPrefixName'].cls(base='vcsim'),
              'Africa/Cairo', dhcp=False),
        windows('vcsim-windows-static', 2, 'vcsim', Identification(joinWorkgroup='WORKGROUP'),
                None),
        windows('vcsim-windows-domain', 15, 'vcsim',
                Identification(joinDomain='DOMAIN', domainAdmin='vcsim',
                               domainAdminPassword=encrypted('dmNzaW0tZG9tYWlu')),
                encrypted('dmNzaW0tYWRtaW4=')),
    ]
