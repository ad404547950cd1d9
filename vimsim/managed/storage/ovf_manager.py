"""OvfManager: the OVF import and export options it offers (ovfImportOption,
ovfExportOption)."""
from vimsim.managed.manager import Manager, manager_type


@manager_type('OvfManager')
class OvfManager(Manager):
    IMPORT = (('lax', 'lax', 'Errors are treated as warnings, all sections are considered '
               'optional, and non-supported hardware is ignored.'),)
    EXPORT = (('mac', 'mac', 'The MAC address is exported for all ethernet devices.'),
              ('uuid', 'uuid', 'The UUID is exported for all virtual machines.'),
              ('extraconfig', 'extraconf',
               'All extra configuration options are exported for a virtual machine.'),
              ('nodevicesubtypes', 'nodevicesubtypes',
               'Resource subtypes for CD/DVD drives, floppy drives, and serial and parallel '
               'ports are not exported.'))

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        T = server.schema.types

        def option(name, key, message):
            return T['OvfOptionInfo'].cls(option=name, description=T['LocalizableMessage'].cls(
                key='com.vmware.vim.ovfManager.ovfParserOption.' + key, message=message))
        self.ovfImportOption = [option(*o) for o in self.IMPORT]
        self.ovfExportOption = [option(*o) for o in self.EXPORT]
