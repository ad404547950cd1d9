"""HostKernelModuleSystem: a host's VMkernel modules and the option strings
they load with (HostSystem.configManager.kernelModuleSystem), as Ansible's
vmware_host_kernel_manager reads and sets them.

The modules are those an ESXi 8.0 U3 host on VMware's virtual hardware
loads. UpdateModuleOptionString sets the options a module takes at its next
load, as `esxcli system module parameters set` does: the configured string
(QueryConfiguredModuleOptionString) changes at once, the loaded module's
`optionString` (QueryModules) stays until the host reboots, which the
simulator does not model. A module the host does not have is NotFound; an
option string must be `name=value` words (InvalidArgument otherwise).
"""
import re
from collections import namedtuple

from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.soap.fault import InvalidArgument, NotFound

Module = namedtuple('Module', 'name version use_count text_size data_size')
VERSION = '8.0.3-0.0.24022510'
# the modules hostd lists, in load order
MODULES = (
    Module('vmkernel', VERSION, 0, 0, 0),
    Module('vmkapi_v2_12_0_0_vmkernel_shim', VERSION, 5, 4096, 4096),
    Module('vmkusb', '0.1-18vmw.803.0.0.24022510', 2, 409600, 28672),
    Module('nvmxnet3', '2.0.0.30-1vmw.803.0.0.24022510', 4, 151552, 12288),
    Module('pvscsi', '0.1-5vmw.803.0.0.24022510', 1, 49152, 8192),
    Module('vmkata', '0.1-1vmw.803.0.0.24022510', 1, 69632, 8192),
    Module('vmw_ahci', '2.0.17-1vmw.803.0.0.24022510', 0, 126976, 12288),
    Module('iscsi_vmk', '7.0.3-0.0.24022510', 0, 172032, 16384),
    Module('nfs41client', VERSION, 0, 266240, 20480),
    Module('vmfs3', VERSION, 3, 2228224, 94208),
    Module('tcpip4', VERSION, 12, 1372160, 65536),
    Module('vmkibft', '0.1-1vmw.803.0.0.24022510', 0, 24576, 4096),
)
BY_NAME = {module.name: module for module in MODULES}
LOAD_ADDRESS = 0x420000000000         # where the VMkernel maps its first module
OPTION = re.compile(r'\A\s*([A-Za-z_][A-Za-z0-9_]*=\S*\s*)*\Z')


class HostKernelModuleSystem(HostManagerObject):
    type_name = 'HostKernelModuleSystem'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.configured = {}       # module name -> option string for its next load

    def _module(self, name):
        module = BY_NAME.get(name)
        if module is None:
            raise NotFound('The kernel module %s was not found on the host.' % name)
        return module

    def QueryModules(self, ctx):
        T = self.host.T
        found, address = [], LOAD_ADDRESS
        for number, module in enumerate(MODULES):
            def section(size, at):
                return T.KernelModuleSectionInfo(address=at, length=size)
            text, data = address, address + module.text_size
            address = data + module.data_size + 0x1000
            found.append(T.KernelModuleInfo(
                id=number, name=module.name, version=module.version,
                filename='/usr/lib/vmware/vmkmod/%s' % module.name, optionString='',
                loaded=True, enabled=True, useCount=module.use_count,
                readOnlySection=section(module.text_size, text),
                writableSection=section(module.data_size, data),
                textSection=section(module.text_size, text),
                dataSection=section(module.data_size, data),
                bssSection=section(0, data + module.data_size)))
        return found

    def QueryConfiguredModuleOptionString(self, ctx, name):
        self._module(name)
        return self.configured.get(name, '')

    def UpdateModuleOptionString(self, ctx, name, options):
        self._module(name)
        if not OPTION.match(options):
            raise InvalidArgument('options', 'Options must be name=value pairs separated by '
                                             'spaces.')
        self.configured[name] = options
