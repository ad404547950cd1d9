"""OvfManager: OVF descriptors read into what vCenter deploys from them
(ParseDescriptor, ValidateHost, CreateImportSpec) and written for a VM or
vApp (CreateDescriptor), with the import and export options it offers
(ovfImportOption, ovfExportOption).

What is wrong with a package is answered, as vCenter answers it, in the
result's `error` and `warning` lists (OvfXmlFormat, OvfMissingElement,
OvfInvalidValueReference, OvfPropertyValue, ...), never as a fault of the
call; the `lax` import option turns the errors vCenter can deploy past into
warnings. The import spec is a VirtualMachineImportSpec whose configSpec
CreateVM_Task would take (ResourcePool.ImportVApp creates the VM from it):
hardware from the items of the chosen deployment option, networks mapped,
disks provisioned as asked, the product section's properties as vAppConfig.
A vApp package (a VirtualSystemCollection) gives a VirtualAppImportSpec
instead: the vApp's product, properties and start order, its members'
specs as children. The fileItems name each disk's file by the device it
belongs to ('/<entity>/VirtualLsiLogicController0:0', a vApp member's
'/<vApp>/<member>/...'), which the import lease's deviceUrl.importKey
repeats.
"""
from vimsim.managed.entity import POOL_SHARES_NORMAL, data_types
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.storage import ovf_descriptor as ovf
from vimsim.managed.storage.http_nfc_lease import device_id
from vimsim.soap.fault import fault, localized

KB = 1024
DISK_PROVISIONING = ('thin', 'thick', 'eagerZeroedThick', 'monolithicSparse',
                     'monolithicFlat', 'twoGbMaxExtentSparse', 'twoGbMaxExtentFlat',
                     'seSparse', 'sparse', 'flat')
THIN = ('thin', 'monolithicSparse', 'twoGbMaxExtentSparse', 'seSparse', 'sparse')
NIC_DEFAULT = 'VirtualE1000'
FIRST_TEMPORARY_KEY = -100


def _is_a(server, obj, type_name):
    managed = server.schema.managed.get(getattr(obj, 'type_name', ''))
    return managed is not None and managed.is_a(type_name)


def _argument(ctx, ref, type_name, name):
    obj = ctx.server.objects.resolve(ref)
    if not _is_a(ctx.server, obj, type_name):
        raise fault('InvalidArgument', 'A specified parameter was not correct: %s' % name,
                    invalidProperty=name)
    return obj


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

    @property
    def T(self):
        return data_types(self.server)

    # -- reading ---------------------------------------------------------------------
    def _read(self, text, params):
        """(envelope or None, deployment option, problems) of a descriptor."""
        try:
            envelope = ovf.read(text)
        except ovf.Unreadable as unreadable:
            return None, None, [unreadable.problem]
        problems = list(envelope.problems)
        option = params.deploymentOption or envelope.default_option
        if params.deploymentOption and params.deploymentOption not in \
                [key for key, _, _ in envelope.options]:
            problems.append(ovf.Problem(
                'OvfInvalidValueConfiguration', "Invalid value '%s' for the deployment "
                'option.' % params.deploymentOption, lineNumber=envelope.options_line,
                elementName='Configuration',
                attributeName='id', value=params.deploymentOption))
        for system in envelope.systems:
            problems.extend(self._hardware_problems(envelope, system, option))
        if params.importOption and any(name != 'lax' for name in params.importOption):
            problems.append(ovf.Problem('InvalidArgument', 'A specified parameter was not '
                                        'correct: importOption', invalidProperty='importOption'))
        return envelope, option, problems

    @staticmethod
    def _hardware_problems(envelope, system, option):
        problems = []
        family = system.hardware_family
        if family is not None and not any(
                name.startswith('vmx-') and name[4:].isdigit() for name in family.split()):
            problems.append(ovf.Problem('OvfNoSupportedHardwareFamily', 'Line %d: Unsupported '
                                        "hardware family '%s'." % (system.line, family),
                                        lineNumber=system.line, version=family))
        items = envelope.items(system, option)
        instances = {item.instance_id for item in items}
        networks = envelope.network_names()
        for item in items:
            if item.resource_type == ovf.DISK:
                reference = (item.host_resource or '').rsplit('/', 1)[-1]
                if item.host_resource and reference not in envelope.disks:
                    problems.append(_bad_reference(item, 'HostResource', item.host_resource))
                if item.parent not in instances:
                    problems.append(_bad_reference(item, 'Parent', item.parent))
            elif item.resource_type == ovf.ETHERNET:
                if item.connection is not None and item.connection not in networks:
                    problems.append(_bad_reference(item, 'Connection', item.connection))
                if item.subtype and item.subtype.lower() not in ovf.NIC_TYPES:
                    problems.append(_bad_subtype(item, system))
            elif item.resource_type == ovf.SCSI:
                if item.subtype.lower() not in ovf.SCSI_TYPES:
                    problems.append(_bad_subtype(item, system))
            elif item.resource_type in (ovf.CPU, ovf.MEMORY):
                if not item.quantity:
                    problems.append(ovf.Problem(
                        'OvfMissingElement', "Line %d: Missing child element "
                        "'VirtualQuantity'." % item.line, lineNumber=item.line,
                        name='VirtualQuantity'))
                elif item.resource_type == ovf.MEMORY and ovf.unit_factor(item.units) is None:
                    problems.append(ovf.Problem(
                        'OvfInvalidValue', "Line %d: Invalid value '%s' for element "
                        "'AllocationUnits'." % (item.line, item.units), lineNumber=item.line,
                        elementName='AllocationUnits', attributeName='', value=item.units))
            elif item.resource_type in (ovf.CDROM, ovf.DVD) and item.parent not in instances:
                problems.append(_bad_reference(item, 'Parent', item.parent))
            elif item.resource_type not in (ovf.IDE, ovf.SATA, ovf.USB, ovf.VIDEO, ovf.FLOPPY,
                                            ovf.OTHER, ovf.CDROM, ovf.DVD):
                problems.append(ovf.Problem(
                    'OvfUnsupportedType', "Line %d: Unsupported hardware type %s for item "
                    "'%s'." % (item.line, item.resource_type, item.element_name or ''),
                    lineNumber=item.line, name=item.element_name or '',
                    instanceId=item.instance_id or '', deviceType=item.resource_type or 0))
        for prop in system.properties():
            if ovf.vim_property_type(prop) is None:
                problems.append(ovf.Problem('OvfPropertyType', "Line %d: Unsupported type "
                                            "'%s' for property '%s'." % (prop.line, prop.type,
                                                                         prop.key),
                                            lineNumber=prop.line, type=prop.type,
                                            value=prop.value))
        return problems

    def _lists(self, problems, lax):
        """(errors, warnings) as LocalizedMethodFaults; `lax` makes errors warnings."""
        errors, warnings = [], []
        for problem in problems:
            instance = localized(fault(problem.type_name, problem.message, **problem.fields))
            (errors if problem.fatal and not lax else warnings).append(instance)
        return errors, warnings

    # -- ParseDescriptor -------------------------------------------------------------
    def ParseDescriptor(self, ctx, ovfDescriptor, pdp):
        T = self.T
        envelope, option, problems = self._read(ovfDescriptor, pdp)
        errors, warnings = self._lists(problems, 'lax' in (pdp.importOption or ()))
        result = T.OvfParseDescriptorResult(
            eula=[], network=[], ipAllocationScheme=[], ipProtocols=[], property=[],
            deploymentOption=[], entityName=[], error=errors, warning=warnings, annotation='',
            defaultEntityName='', virtualApp=False, defaultDeploymentOption='')
        if envelope is None:
            return result
        result.network = [T.OvfNetworkInfo(name=name, description=description)
                          for name, description in envelope.networks]
        result.deploymentOption = [T.OvfDeploymentOption(key=key, label=label,
                                                         description=description)
                                   for key, label, description in envelope.options]
        result.defaultDeploymentOption = envelope.default_option or ''
        result.virtualApp = envelope.is_vapp
        result.ipProtocols = ['IPv4']
        result.approximateDownloadSize = sum(f.size or 0 for f in envelope.files.values())
        result.approximateFlatDeploymentSize = sum(d.capacity for d in envelope.disks.values())
        result.approximateSparseDeploymentSize = sum(
            d.populated or (d.file.size if d.file is not None and d.file.size else 0)
            for d in envelope.disks.values())
        if envelope.systems:
            top = envelope.top
            result.defaultEntityName = top.name
            result.annotation = top.annotation or ''
            result.eula = [eula for entity in envelope.entities() for eula in entity.eulas]
            result.property = self._properties(envelope.entities(), {})[0]
            if top.products:
                result.productInfo = self._product(top.products[0], 0)
        return result

    def _product(self, product, key):
        return self.T.VAppProductInfo(
            key=key, classId=product.class_id, instanceId=product.instance_id,
            name=product.name, vendor=product.vendor, version=product.version,
            fullVersion=product.full_version, vendorUrl=product.vendor_url,
            productUrl=product.product_url, appUrl=product.app_url)

    def _properties(self, entities, values):
        """(VAppPropertyInfo list, problems) of the properties of `entities`
        (virtual systems and collections), with `values` ({id: value}, a
        propertyMapping) set."""
        T = self.T
        out, problems = [], []
        props = [prop for entity in entities for prop in entity.properties()]
        for key, prop in enumerate(props):
            vim_type = ovf.vim_property_type(prop) or 'string'
            value = values.get(prop.key, prop.value)
            if prop.key in values and not ovf.property_value_ok(vim_type, value):
                problems.append(ovf.Problem('OvfPropertyValue', "Line %d: Invalid value '%s' "
                                            "for property '%s' of type '%s'." % (
                                                prop.line, value, prop.key, vim_type),
                                            lineNumber=prop.line, type=vim_type, value=value))
            out.append(T.VAppPropertyInfo(
                key=key, classId=prop.class_id, instanceId=prop.instance_id, id=prop.key,
                category=prop.category, label=prop.label, type=vim_type, typeReference='',
                userConfigurable=prop.user_configurable, defaultValue=prop.value,
                value=value if prop.key in values else '', description=prop.description))
        return out, problems

    # -- ValidateHost ---------------------------------------------------------------
    def ValidateHost(self, ctx, ovfDescriptor, host, vhp):
        host_object = _argument(ctx, host, 'HostSystem', 'host')
        envelope, option, problems = self._read(ovfDescriptor, vhp)
        if envelope is not None:
            problems.extend(self._network_problems(envelope, host_object))
        errors, warnings = self._lists(problems, 'lax' in (vhp.importOption or ()))
        T = self.T
        if envelope is None:
            return T.OvfValidateHostResult(error=errors, warning=warnings,
                                           supportedDiskProvisioning=[])
        return T.OvfValidateHostResult(
            downloadSize=sum(f.size or 0 for f in envelope.files.values()),
            flatDeploymentSize=sum(d.capacity for d in envelope.disks.values()),
            sparseDeploymentSize=sum(d.populated or 0 for d in envelope.disks.values()),
            error=errors, warning=warnings, supportedDiskProvisioning=list(DISK_PROVISIONING))

    @staticmethod
    def _network_problems(envelope, host):
        if envelope.networks and not host.networks:
            return [ovf.Problem('OvfNoHostNic', 'The host has no network to connect the '
                                'virtual machine to.')]
        return []

    # -- CreateImportSpec ------------------------------------------------------------
    def CreateImportSpec(self, ctx, ovfDescriptor, resourcePool, datastore, cisp):
        T = self.T
        pool = _argument(ctx, resourcePool, 'ResourcePool', 'resourcePool')
        ds = _argument(ctx, datastore, 'Datastore', 'datastore')
        host = _argument(ctx, cisp.hostSystem, 'HostSystem', 'cisp.hostSystem') \
            if cisp.hostSystem is not None else None
        hosts = list(getattr(pool.owner_object, 'hosts', ()) or ())
        if host is not None and host not in hosts:
            raise fault('InvalidArgument', 'A specified parameter was not correct: '
                        'cisp.hostSystem', invalidProperty='cisp.hostSystem')
        reachable = [h for h in ([host] if host is not None else hosts) if ds in h.datastores]
        if not reachable:
            raise fault('InvalidDatastore', "The datastore '%s' is not accessible from the "
                        'resource pool.' % ds.name, datastore=ds.ref, name=ds.name)
        lax = 'lax' in (cisp.importOption or ())
        envelope, option, problems = self._read(ovfDescriptor, cisp)
        result = T.OvfCreateImportSpecResult(fileItem=[], warning=[], error=[])
        if envelope is None or not envelope.systems:
            result.error, result.warning = self._lists(problems, False)
            return result
        if cisp.diskProvisioning and cisp.diskProvisioning not in DISK_PROVISIONING:
            problems.append(ovf.Problem(
                'OvfUnsupportedDiskProvisioning', "Unsupported disk provisioning type '%s'."
                % cisp.diskProvisioning, diskProvisioning=cisp.diskProvisioning,
                supportedDiskProvisioning=', '.join(DISK_PROVISIONING)))
        networks = self._network_map(envelope, cisp, reachable, problems)
        values = {pair.key: pair.value for pair in cisp.propertyMapping or ()}
        known = {prop.key for entity in envelope.entities() for prop in entity.properties()}
        for key in values:
            if key not in known:
                problems.append(ovf.Problem('InvalidArgument', 'A specified parameter was not '
                                            'correct: cisp.propertyMapping',
                                            invalidProperty='cisp.propertyMapping'))
        build = _SpecBuilder(self, envelope, option, ds, networks,
                             cisp.diskProvisioning or 'flat', values, lax, problems)
        spec = build.entity(envelope.top, cisp.entityName or envelope.top.name, '')
        result.error, result.warning = self._lists(problems, lax)
        if result.error:
            return result
        if type(spec).__name__ == 'VirtualMachineImportSpec':
            spec.resPoolEntity = pool.ref
        result.importSpec = spec
        result.fileItem = build.files
        return result

    def _network_map(self, envelope, cisp, hosts, problems):
        """{OVF network name: Network object} for every network the package names."""
        available = []
        for host in hosts:
            available.extend(n for n in host.networks if n not in available)
        mapping = {}
        names = envelope.network_names()
        for pair in cisp.networkMapping or ():
            if pair.name not in names:
                problems.append(ovf.Problem('InvalidArgument', 'A specified parameter was not '
                                            'correct: cisp.networkMapping',
                                            invalidProperty='cisp.networkMapping'))
                continue
            network = self.server.objects.get(pair.network)
            if network is None or network not in available:
                problems.append(ovf.Problem('InvalidArgument', 'A specified parameter was not '
                                            'correct: cisp.networkMapping.network',
                                            invalidProperty='cisp.networkMapping.network'))
                continue
            mapping[pair.name] = network
        usable = [n for n in available if not getattr(n, 'uplink', False)]
        for name in names:
            if name not in mapping:
                same = next((n for n in usable if n.name == name), None)
                if same is None and usable:
                    same = usable[0]
                    problems.append(ovf.Problem(
                        'OvfNetworkMappingNotSupported', "Network '%s' is not mapped; it is "
                        "connected to '%s'." % (name, same.name), fatal=False))
                if same is not None:
                    mapping[name] = same
        return mapping

    def _config_spec(self, envelope, system, option, name, ds, networks, provisioning,
                     properties, lax, problems, owner):
        """(VirtualMachineConfigSpec, fileItems) of one virtual system, its
        disks' files named by devices of `owner` (its path in the package's
        vApps: 'vApp/vm')."""
        T = self.T
        items = envelope.items(system, option)
        families = [f for f in (system.hardware_family or '').split()
                    if f.startswith('vmx-') and f[4:].isdigit()]
        guest = system.os_type or ovf.GUESTS_BY_OS_ID.get(system.os_id, 'otherGuest')
        config = T.VirtualMachineConfigSpec(
            name=name, guestId=guest, annotation=system.annotation or None,
            version=max(families, key=lambda f: int(f[4:])) if families else None,
            files=T.VirtualMachineFileInfo(vmPathName='[%s]' % ds.name),
            deviceChange=[], extraConfig=[])
        controllers = {}       # item InstanceID -> (device key, vim type name, bus)
        next_key = [FIRST_TEMPORARY_KEY]
        disk_count = 0

        def temporary_key():
            next_key[0] -= 1
            return next_key[0]

        def add(device, operation=None):
            config.deviceChange.append(T.VirtualDeviceConfigSpec(
                operation='add', fileOperation=operation, device=device))

        buses = {}
        for item in items:
            kind = item.resource_type
            if kind == ovf.CPU and item.quantity:
                config.numCPUs = item.quantity
                cores = item.element.find('{%s}CoresPerSocket' % ovf.VMW)
                if cores is not None and (cores.text or '').strip().isdigit():
                    config.numCoresPerSocket = int(cores.text)
            elif kind == ovf.MEMORY and item.quantity:
                factor = ovf.unit_factor(item.units) or 2 ** 20
                config.memoryMB = max(item.quantity * factor // 2 ** 20, 4)
            elif kind == ovf.IDE:
                bus = item.address if item.address is not None else buses.get('ide', 0)
                buses['ide'] = bus + 1
                controllers[item.instance_id] = (200 + bus, 'VirtualIDEController', bus)
            elif kind == ovf.SCSI and item.subtype.lower() in ovf.SCSI_TYPES:
                type_name = ovf.SCSI_TYPES[item.subtype.lower()]
                bus = item.address if item.address is not None else buses.get('scsi', 0)
                buses['scsi'] = bus + 1
                key = temporary_key()
                controllers[item.instance_id] = (key, type_name, bus)
                add(getattr(T, type_name)(key=key, busNumber=bus, sharedBus='noSharing'))
            elif kind in (ovf.SATA, ovf.OTHER) and item.subtype in (ovf.SATA_TYPE,
                                                                     ovf.NVME_TYPE):
                type_name = 'VirtualAHCIController' if item.subtype == ovf.SATA_TYPE \
                    else 'VirtualNVMEController'
                bus = item.address if item.address is not None else buses.get(type_name, 0)
                buses[type_name] = bus + 1
                key = temporary_key()
                controllers[item.instance_id] = (key, type_name, bus)
                add(getattr(T, type_name)(key=key, busNumber=bus))
            elif kind == ovf.USB:
                add(T.VirtualUSBController(key=temporary_key(), autoConnectDevices=True,
                                           ehciEnabled='ehci' in item.subtype.lower()))
        files = []
        for item in items:
            kind = item.resource_type
            if kind == ovf.DISK:
                disk = envelope.disks.get((item.host_resource or '').rsplit('/', 1)[-1])
                controller = controllers.get(item.parent)
                if disk is None or controller is None:
                    continue          # reported by _hardware_problems
                key, type_name, bus = controller
                backing = T.VirtualDiskFlatVer2BackingInfo(
                    fileName='', datastore=ds.ref, diskMode='persistent',
                    thinProvisioned=provisioning in THIN,
                    eagerlyScrub=provisioning == 'eagerZeroedThick')
                disk_count += 1
                capacity_kb = max((disk.capacity + KB - 1) // KB, 1)
                add(T.VirtualDisk(key=temporary_key(), controllerKey=key,
                                  unitNumber=item.address_on_parent, capacityInKB=capacity_kb,
                                  backing=backing), 'create')
                if disk.file is not None:
                    files.append(T.OvfFileItem(
                        deviceId=device_id(owner, type_name, bus, item.address_on_parent),
                        path=disk.file.href, compressionMethod=disk.file.compression,
                        chunkSize=disk.file.chunk_size, size=disk.file.size, cimType=ovf.DISK,
                        create=False))
            elif kind == ovf.ETHERNET:
                network = networks.get(item.connection)
                if network is None:
                    continue
                type_name = ovf.NIC_TYPES.get(item.subtype.lower(), NIC_DEFAULT) \
                    if item.subtype else NIC_DEFAULT
                add(getattr(T, type_name)(
                    key=temporary_key(), backing=_nic_backing(T, network),
                    connectable=T.VirtualDeviceConnectInfo(
                        startConnected=item.automatic, allowGuestControl=True,
                        connected=False),
                    addressType='generated', wakeOnLanEnabled=True))
            elif kind in (ovf.CDROM, ovf.DVD):
                controller = controllers.get(item.parent)
                if controller is None:
                    continue
                add(T.VirtualCdrom(
                    key=temporary_key(), controllerKey=controller[0],
                    unitNumber=item.address_on_parent,
                    backing=T.VirtualCdromRemotePassthroughBackingInfo(deviceName='',
                                                                       exclusive=False),
                    connectable=T.VirtualDeviceConnectInfo(
                        startConnected=False, allowGuestControl=True, connected=False)))
            elif kind == ovf.FLOPPY:
                add(T.VirtualFloppy(
                    key=temporary_key(),
                    backing=T.VirtualFloppyRemoteDeviceBackingInfo(deviceName=''),
                    connectable=T.VirtualDeviceConnectInfo(
                        startConnected=False, allowGuestControl=True, connected=False)))
        if properties or system.products:
            config.vAppConfig = T.VmConfigSpec(
                product=[T.VAppProductSpec(operation='add', info=self._product(product, key))
                         for key, product in enumerate(system.products)],
                property=[T.VAppPropertySpec(operation='add', info=info) for info in properties],
                ovfEnvironmentTransport=['com.vmware.guestInfo'], eula=system.eulas)
        if disk_count == 0 and not lax and any(d.file for d in envelope.disks.values()):
            problems.append(ovf.Problem('OvfMissingHardware', 'Line %d: No disk of the package '
                                        'is attached to the virtual system.' % system.line,
                                        name='Disk', resourceType=ovf.DISK))
        return config, files

    # -- CreateDescriptor ------------------------------------------------------------
    def CreateDescriptor(self, ctx, obj, cdp):
        """The OVF of a VM (as `cdp.snapshot` froze it, when given) or of a
        vApp: a VirtualSystemCollection of its members in start order, with
        their StartupSection, child vApps as nested collections."""
        target = ctx.server.objects.resolve(obj)
        is_vapp = _is_a(ctx.server, target, 'VirtualApp')
        if not (_is_a(ctx.server, target, 'VirtualMachine') or is_vapp):
            raise fault('InvalidArgument', 'A specified parameter was not correct: obj',
                        invalidProperty='obj')
        snapshot = None
        if cdp.snapshot is not None:
            snapshot = ctx.server.objects.resolve(cdp.snapshot)
            if is_vapp or getattr(snapshot, 'type_name', '') != 'VirtualMachineSnapshot' \
                    or snapshot.vm != target.ref:
                raise fault('InvalidArgument', 'A specified parameter was not correct: '
                            'cdp.snapshot', invalidProperty='cdp.snapshot')
        files = {item.deviceId: item for item in cdp.ovfFiles or ()}
        writer = ovf.Writer()
        warnings = []
        name = cdp.name or target.name
        if is_vapp:
            self._describe_vapp(ctx, target, name, cdp.description, files, writer, warnings)
        else:
            devices = snapshot.devices() if snapshot is not None else list(
                target.config.hardware.device or ())
            self._describe_vm(ctx, target, name, cdp.description, devices, files, writer,
                              warnings)
        T = self.T
        return T.OvfCreateDescriptorResult(ovfDescriptor=writer.text(), error=[],
                                           warning=warnings,
                                           includeImageFiles=bool(cdp.includeImageFiles))

    def _describe_vapp(self, ctx, vapp, name, description, files, writer, warnings):
        config = vapp.vAppConfig
        writer.collection(name, description or config.annotation or '')
        members = [(ctx.server.objects.get(entity.key), entity)
                   for entity in config.entityConfig]
        writer.startup([(member.name, entity) for member, entity in members])
        if config.product or config.property:
            writer.product(config.product[0] if config.product else None,
                           list(config.property))
        for member, _ in members:
            if member.type_name == 'VirtualApp':
                self._describe_vapp(ctx, member, member.name, None, files, writer, warnings)
            else:
                self._describe_vm(ctx, member, member.name, None,
                                  list(member.config.hardware.device or ()), files, writer,
                                  warnings)
        writer.end_collection()

    def _describe_vm(self, ctx, vm, name, description, devices, files, writer, warnings):
        config_info = vm.config
        writer.virtual_system(name, description or config_info.annotation or '',
                              config_info.guestId, config_info.version)
        hardware = config_info.hardware
        writer.item(AllocationUnits='hertz * 10^6', Description='Number of Virtual CPUs',
                    ElementName='%d virtual CPU(s)' % hardware.numCPU, ResourceType=ovf.CPU,
                    VirtualQuantity=hardware.numCPU)
        writer.item(AllocationUnits='byte * 2^20', Description='Memory Size',
                    ElementName='%dMB of memory' % hardware.memoryMB, ResourceType=ovf.MEMORY,
                    VirtualQuantity=hardware.memoryMB)
        self._describe_devices(ctx, vm, devices, files, writer, warnings)
        vapp = config_info.vAppConfig
        if vapp is not None and (vapp.property or vapp.product):
            writer.product(vapp.product[0] if vapp.product else None, list(vapp.property or ()))

    def _describe_devices(self, ctx, vm, devices, files, writer, warnings):
        T = self.T
        by_key = {device.key: device for device in devices}
        instances = {}
        scsi_subtypes = {type_name: subtype for subtype, type_name in ovf.SCSI_TYPES.items()}
        nic_subtypes = {type_name: subtype for subtype, type_name in ovf.NIC_TYPES.items()}
        nic_subtypes.update({'VirtualE1000': 'E1000', 'VirtualE1000e': 'E1000e',
                             'VirtualVmxnet3': 'VmxNet3', 'VirtualPCNet32': 'PCNet32'})
        scsi_subtypes['ParaVirtualSCSIController'] = 'VirtualSCSI'
        for device in devices:
            kind = type(device).__name__
            if kind in scsi_subtypes:
                instances[device.key] = writer.item(
                    Address=device.busNumber, Description='SCSI Controller',
                    ElementName='SCSI controller %d' % device.busNumber,
                    ResourceSubType=scsi_subtypes[kind], ResourceType=ovf.SCSI)
            elif kind == 'VirtualIDEController':
                instances[device.key] = writer.item(
                    Address=device.busNumber, Description='IDE Controller',
                    ElementName='VirtualIDEController %d' % device.busNumber,
                    ResourceType=ovf.IDE)
            elif kind in ('VirtualAHCIController', 'VirtualNVMEController'):
                instances[device.key] = writer.item(
                    Address=device.busNumber, Description='%s Controller' % (
                        'SATA' if kind == 'VirtualAHCIController' else 'NVMe'),
                    ElementName='%s controller %d' % (
                        'SATA' if kind == 'VirtualAHCIController' else 'NVMe',
                        device.busNumber),
                    ResourceSubType=ovf.SATA_TYPE if kind == 'VirtualAHCIController'
                    else ovf.NVME_TYPE, ResourceType=ovf.SATA)
        disk_number = 0
        for device in devices:
            kind = type(device).__name__
            if isinstance(device, T.VirtualDisk):
                controller = by_key.get(device.controllerKey)
                if controller is None or device.controllerKey not in instances:
                    warnings.append(localized(fault(
                        'OvfUnsupportedDeviceExport', "The device '%s' cannot be exported."
                        % device.deviceInfo.label, device=device.deviceInfo.label,
                        vmPath=vm.ref.value)))
                    continue
                disk_number += 1
                number = writer.disk_number()
                disk_id = 'vmdisk%d' % number
                key = device_id(vm.ref.value, type(controller).__name__, controller.busNumber,
                                device.unitNumber)
                file = files.get(key)
                file_id = None
                if file is not None:
                    file_id = 'file%d' % number
                    writer.file(file_id, file.path, file.size)
                writer.disk(disk_id, file_id, device.capacityInKB * KB,
                            file.populatedSize if file is not None else None)
                writer.item(AddressOnParent=device.unitNumber,
                            ElementName='Hard disk %d' % disk_number,
                            HostResource='ovf:/disk/%s' % disk_id,
                            Parent=instances[device.controllerKey], ResourceType=ovf.DISK)
            elif isinstance(device, T.VirtualEthernetCard):
                network = _network_name(ctx.server, vm, device)
                writer.network(network)
                writer.item(AddressOnParent=device.unitNumber,
                            AutomaticAllocation='true' if device.connectable is None or
                            device.connectable.startConnected else 'false',
                            Connection=network,
                            Description='%s ethernet adapter on "%s"' % (
                                nic_subtypes.get(kind, 'E1000'), network),
                            ElementName=device.deviceInfo.label,
                            ResourceSubType=nic_subtypes.get(kind, 'E1000'),
                            ResourceType=ovf.ETHERNET)
            elif isinstance(device, T.VirtualCdrom) and device.controllerKey in instances:
                writer.item(AddressOnParent=device.unitNumber, AutomaticAllocation='false',
                            ElementName=device.deviceInfo.label,
                            Parent=instances[device.controllerKey], ResourceType=ovf.CDROM)
            elif isinstance(device, T.VirtualFloppy):
                writer.item(AutomaticAllocation='false', ElementName=device.deviceInfo.label,
                            ResourceType=ovf.FLOPPY)


class _SpecBuilder:
    """The import spec of a package's top entity: a VirtualMachineImportSpec
    for a virtual system, a VirtualAppImportSpec for a collection (its
    members' specs as `child`, its StartupSection as the vApp's entity
    configs, one per member in order); the disks' fileItems gathered in
    `files`."""

    def __init__(self, manager, envelope, option, ds, networks, provisioning, values, lax,
                 problems):
        self.manager = manager
        self.envelope = envelope
        self.option = option
        self.ds = ds
        self.networks = networks
        self.provisioning = provisioning
        self.values = values
        self.lax = lax
        self.problems = problems
        self.files = []

    def entity(self, entity, name, parent_path):
        T = self.manager.T
        properties, problems = self.manager._properties([entity], self.values)
        self.problems.extend(problems)
        if isinstance(entity, ovf.Collection):
            return self._vapp(entity, name, parent_path + name + '/', properties)
        config, files = self.manager._config_spec(
            self.envelope, entity, self.option, name, self.ds, self.networks,
            self.provisioning, properties, self.lax, self.problems, parent_path + name)
        self.files.extend(files)
        return T.VirtualMachineImportSpec(configSpec=config)

    def _vapp(self, collection, name, path, properties):
        T = self.manager.T
        children = [self.entity(child, child.name, path) for child in collection.children]
        config = T.VAppConfigSpec(
            product=[T.VAppProductSpec(operation='add', info=self.manager._product(product, key))
                     for key, product in enumerate(collection.products)],
            property=[T.VAppPropertySpec(operation='add', info=info) for info in properties],
            eula=collection.eulas, annotation=collection.annotation or None,
            entityConfig=[self._startup(collection, child) for child in collection.children])
        allocation = {kind: T.ResourceAllocationInfo(
            reservation=0, expandableReservation=True, limit=-1,
            shares=T.SharesInfo(shares=shares, level='normal'))
            for kind, shares in POOL_SHARES_NORMAL.items()}
        return T.VirtualAppImportSpec(
            name=name, vAppConfigSpec=config, child=children,
            resourcePoolSpec=T.ResourceConfigSpec(cpuAllocation=allocation['cpu'],
                                                  memoryAllocation=allocation['memory']))

    def _startup(self, collection, child):
        T = self.manager.T
        startup = collection.startup.get(child.id)
        if startup is None:
            return T.VAppEntityConfigInfo(tag=child.name)
        return T.VAppEntityConfigInfo(
            tag=child.name, startOrder=startup.order, startDelay=startup.start_delay,
            startAction=startup.start_action, stopDelay=startup.stop_delay,
            stopAction=startup.stop_action, waitingForGuest=startup.waiting_for_guest)


def _bad_reference(item, element, value):
    return ovf.Problem('OvfInvalidValueReference', "Line %d: Invalid value '%s' for element "
                       "'%s'." % (item.line, value or '', element), lineNumber=item.line,
                       elementName=element, attributeName='', value=value or '')


def _bad_subtype(item, system):
    return ovf.Problem('OvfUnsupportedSubType', "Line %d: Unsupported value '%s' for element "
                       "'ResourceSubType'." % (item.line, item.subtype), lineNumber=item.line,
                       elementName='ResourceSubType', instanceId=item.instance_id or '',
                       deviceType=item.resource_type or 0, deviceSubType=item.subtype)


def _nic_backing(T, network):
    """The NIC backing a config spec names `network` by (a portgroup by its switch)."""
    if network.type_name == 'DistributedVirtualPortgroup':
        return T.VirtualEthernetCardDistributedVirtualPortBackingInfo(
            port=T.DistributedVirtualSwitchPortConnection(switchUuid=network.dvs.uuid,
                                                          portgroupKey=network.key))
    return T.VirtualEthernetCardNetworkBackingInfo(deviceName=network.name,
                                                   network=network.ref)


def _network_name(server, vm, nic):
    backing = nic.backing
    if getattr(backing, 'deviceName', None):
        return backing.deviceName
    port = getattr(backing, 'port', None)
    if port is not None:
        for network in vm.network_objects():
            if getattr(network, 'key', None) == port.portgroupKey:
                return network.name
    return 'VM Network'
