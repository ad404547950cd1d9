"""OVF descriptors (DMTF DSP0243, as ovftool and vCenter write them): read
with lxml into the facts OvfManager deploys from, and written for a VM
(OvfManager.CreateDescriptor) or a vApp.

`read(text)` answers an `Envelope`: its files, disks, networks, deployment
options and virtual systems (hardware items, product sections and their
properties, annotation, EULAs), the VirtualSystemCollection holding them
when it is a vApp package (nested collections are child vApps; the
StartupSection gives each member's start order and actions), with the
problems found on the way as
`Problem`s (a vim fault type, its message and fields, and whether vCenter
would refuse the package for it). Text that is not an OVF envelope raises
`Unreadable` holding the one problem that says why.
"""
import re

from lxml import etree

OVF = 'http://schemas.dmtf.org/ovf/envelope/1'
RASD = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData'
VSSD = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData'
VMW = 'http://www.vmware.com/schema/ovf'
CIM = 'http://schemas.dmtf.org/wbem/wscim/1/common'
XSI = 'http://www.w3.org/2001/XMLSchema-instance'
NAMESPACES = {None: OVF, 'ovf': OVF, 'rasd': RASD, 'vssd': VSSD, 'vmw': VMW, 'cim': CIM,
              'xsi': XSI}
STREAM_OPTIMIZED = 'http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized'

# rasd:ResourceType values (CIM_ResourceAllocationSettingData)
OTHER, CPU, MEMORY, IDE, SCSI, ETHERNET = 1, 3, 4, 5, 6, 10
FLOPPY, CDROM, DVD, DISK, SATA, USB, VIDEO = 14, 15, 16, 17, 20, 23, 24
# controller subtypes and NIC subtypes -> vim device types
SCSI_TYPES = {'lsilogic': 'VirtualLsiLogicController',
              'lsilogicsas': 'VirtualLsiLogicSASController',
              'buslogic': 'VirtualBusLogicController',
              'virtualscsi': 'ParaVirtualSCSIController'}
NIC_TYPES = {'e1000': 'VirtualE1000', 'e1000e': 'VirtualE1000e', 'vmxnet': 'VirtualVmxnet',
             'vmxnet2': 'VirtualVmxnet2', 'vmxnet3': 'VirtualVmxnet3',
             'pcnet32': 'VirtualPCNet32'}
SATA_TYPE = 'vmware.sata.ahci'
NVME_TYPE = 'vmware.nvme.controller'
# CIM operating system ids of the guests vCenter maps (the rest are "Other")
OS_IDS = {'otherGuest': 1, 'otherGuest64': 102, 'otherLinuxGuest': 36,
          'otherLinux64Guest': 101, 'windows9_64Guest': 103, 'windows2019srv_64Guest': 74,
          'rhel8_64Guest': 80, 'ubuntu64Guest': 94, 'centos64Guest': 107,
          'debian10_64Guest': 96, 'sles15_64Guest': 85}
GUESTS_BY_OS_ID = {number: guest for guest, number in OS_IDS.items()}
_UNITS = re.compile(r'^byte\s*(?:\*\s*(\d+)\s*\^\s*(\d+))?$', re.I)
_UNIT_NAMES = {'byte': 1, 'bytes': 1, 'kilobytes': 2 ** 10, 'kb': 2 ** 10,
               'megabytes': 2 ** 20, 'mb': 2 ** 20, 'gigabytes': 2 ** 30, 'gb': 2 ** 30}
# OVF property types -> vim's VAppPropertyInfo type and the int range they allow
INT_RANGES = {'uint8': (0, 2 ** 8 - 1), 'sint8': (-2 ** 7, 2 ** 7 - 1),
              'uint16': (0, 2 ** 16 - 1), 'sint16': (-2 ** 15, 2 ** 15 - 1),
              'uint32': (0, 2 ** 32 - 1), 'sint32': (-2 ** 31, 2 ** 31 - 1),
              'uint64': (0, 2 ** 64 - 1), 'sint64': (-2 ** 63, 2 ** 63 - 1)}


class Problem:
    """Something wrong with a package: a vim fault (type, message, fields)
    and whether it stops a deployment (an error) or not (a warning)."""
    __slots__ = ('type_name', 'message', 'fields', 'fatal')

    def __init__(self, type_name, message, fatal=True, **fields):
        self.type_name = type_name
        self.message = message
        self.fields = fields
        self.fatal = fatal


class Unreadable(Exception):
    """The text is not an OVF envelope at all."""

    def __init__(self, problem):
        super().__init__(problem.message)
        self.problem = problem


def _q(namespace, name):
    return '{%s}%s' % (namespace, name)


def _attr(element, name, default=None):
    """An ovf: attribute (or an unqualified one, which old packages use)."""
    value = element.get(_q(OVF, name))
    return element.get(name, default) if value is None else value


def _text(element, path):
    found = element.find(path, NAMESPACES)
    return (found.text or '').strip() if found is not None else None


def _rasd(item, name):
    found = item.find(_q(RASD, name))
    if found is None:
        found = item.find(_q('http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/'
                             'CIM_StorageAllocationSettingData', name))
    return (found.text or '').strip() if found is not None and found.text else None


def unit_factor(text):
    """Bytes of one unit named as OVF names units ('byte * 2^20'), None
    when the name is not one."""
    if not text:
        return 1
    match = _UNITS.match(text.strip())
    if match is not None:
        base, power = match.groups()
        return int(base) ** int(power) if base else 1
    return _UNIT_NAMES.get(text.strip().lower())


class File:
    __slots__ = ('id', 'href', 'size', 'compression', 'chunk_size')

    def __init__(self, element):
        self.id = _attr(element, 'id')
        self.href = _attr(element, 'href')
        size = _attr(element, 'size')
        self.size = int(size) if size and size.isdigit() else None
        self.compression = _attr(element, 'compression')
        chunk = _attr(element, 'chunkSize')
        self.chunk_size = int(chunk) if chunk and chunk.isdigit() else None


class Disk:
    __slots__ = ('id', 'file', 'capacity', 'populated', 'format')

    def __init__(self, disk_id, file, capacity, populated, disk_format):
        self.id = disk_id
        self.file = file
        self.capacity = capacity          # bytes
        self.populated = populated
        self.format = disk_format


class Item:
    """One rasd Item of a virtual hardware section."""
    __slots__ = ('element', 'instance_id', 'resource_type', 'subtype', 'quantity', 'units',
                 'address', 'address_on_parent', 'parent', 'host_resource', 'connection',
                 'automatic', 'element_name', 'configurations', 'line')

    def __init__(self, element):
        self.element = element
        self.line = element.sourceline
        self.instance_id = _rasd(element, 'InstanceID')
        kind = _rasd(element, 'ResourceType')
        self.resource_type = int(kind) if kind and kind.isdigit() else None
        self.subtype = (_rasd(element, 'ResourceSubType') or '').strip()
        quantity = _rasd(element, 'VirtualQuantity')
        self.quantity = int(quantity) if quantity and quantity.isdigit() else None
        self.units = _rasd(element, 'AllocationUnits')
        address = _rasd(element, 'Address')
        self.address = int(address) if address and address.isdigit() else None
        on_parent = _rasd(element, 'AddressOnParent')
        self.address_on_parent = int(on_parent) if on_parent and on_parent.isdigit() else None
        self.parent = _rasd(element, 'Parent')
        self.host_resource = _rasd(element, 'HostResource')
        self.connection = _rasd(element, 'Connection')
        automatic = _rasd(element, 'AutomaticAllocation')
        self.automatic = automatic is None or automatic.lower() == 'true'
        self.element_name = _rasd(element, 'ElementName')
        configurations = _attr(element, 'configuration')
        self.configurations = configurations.split() if configurations else None


class Property:
    __slots__ = ('key', 'type', 'qualifiers', 'value', 'user_configurable', 'password',
                 'label', 'description', 'category', 'class_id', 'instance_id', 'line')


class Product:
    __slots__ = ('class_id', 'instance_id', 'name', 'vendor', 'version', 'full_version',
                 'product_url', 'vendor_url', 'app_url', 'properties')


class VirtualSystem:
    __slots__ = ('id', 'name', 'info', 'hardware_family', 'items', 'products', 'annotation',
                 'eulas', 'os_id', 'os_type', 'line')

    def properties(self):
        return [prop for product in self.products for prop in product.properties]


class Collection:
    """A VirtualSystemCollection: a vApp of virtual systems and collections."""
    __slots__ = ('id', 'name', 'info', 'products', 'annotation', 'eulas', 'children',
                 'startup', 'line')

    def properties(self):
        return [prop for product in self.products for prop in product.properties]


class Startup:
    """One member's StartupSection item: its start order, delays and actions."""
    __slots__ = ('order', 'start_delay', 'start_action', 'stop_delay', 'stop_action',
                 'waiting_for_guest')


class Envelope:
    """An OVF package's descriptor, read: `top`, the VirtualSystem or the
    Collection it deploys, and `systems`, every virtual system in it."""

    def __init__(self):
        self.files = {}
        self.disks = {}
        self.networks = []        # (name, description)
        self.options = []         # (id, label, description)
        self.default_option = None
        self.options_line = 1     # where the deployment options are
        self.systems = []
        self.top = None
        self.problems = []

    def problem(self, type_name, message, fatal=True, **fields):
        self.problems.append(Problem(type_name, message, fatal, **fields))

    @property
    def is_vapp(self):
        return isinstance(self.top, Collection)

    def entities(self):
        """The top entity and, depth first, every one a collection holds."""
        out = []

        def visit(entity):
            out.append(entity)
            for child in getattr(entity, 'children', ()):
                visit(child)
        if self.top is not None:
            visit(self.top)
        return out

    def network_names(self):
        return [name for name, _ in self.networks]

    def items(self, system, option):
        """The system's hardware items that apply under deployment option `option`."""
        return [item for item in system.items
                if item.configurations is None or option in item.configurations]


def read(text):
    """The Envelope `text` (str or bytes) describes; Unreadable when it is none."""
    data = text.encode('utf-8') if isinstance(text, str) else text
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        line = error.lineno or 1
        raise Unreadable(Problem('OvfXmlFormat', 'Line %d: %s' % (line, error.msg),
                                 lineNumber=line, description=error.msg)) from None
    if root.getroottree().docinfo.doctype:
        raise Unreadable(Problem('OvfXmlFormat', 'Line 1: DTDs are not allowed.',
                                 lineNumber=1, description='DTDs are not allowed'))
    if etree.QName(root).localname != 'Envelope':
        raise Unreadable(Problem('OvfMissingElement', "Line %d: Missing child element "
                                 "'Envelope'." % (root.sourceline or 1),
                                 lineNumber=root.sourceline or 1, name='Envelope'))
    if etree.QName(root).namespace != OVF:
        raise Unreadable(Problem('OvfWrongNamespace', "Line %d: Invalid namespace '%s'." % (
            root.sourceline or 1, etree.QName(root).namespace or ''),
            lineNumber=root.sourceline or 1, namespaceName=etree.QName(root).namespace or ''))
    envelope = Envelope()
    _read_references(envelope, root)
    _read_disks(envelope, root)
    for network in root.iterfind('ovf:NetworkSection/ovf:Network', NAMESPACES):
        envelope.networks.append((_attr(network, 'name') or '',
                                  _text(network, 'ovf:Description') or ''))
    for option in root.iterfind('ovf:DeploymentOptionSection/ovf:Configuration', NAMESPACES):
        envelope.options_line = option.getparent().sourceline
        key = _attr(option, 'id') or ''
        envelope.options.append((key, _text(option, 'ovf:Label') or key,
                                 _text(option, 'ovf:Description') or ''))
        if (_attr(option, 'default') or '').lower() == 'true':
            envelope.default_option = key
    if envelope.options and envelope.default_option is None:
        envelope.default_option = envelope.options[0][0]
    collection = root.find('ovf:VirtualSystemCollection', NAMESPACES)
    system = root.find('ovf:VirtualSystem', NAMESPACES)
    if collection is not None:
        envelope.top = _read_collection(envelope, collection)
    elif system is not None:
        envelope.top = _read_system(envelope, system)
    if not envelope.systems:
        envelope.problem('OvfMissingElement', "Line %d: Missing child element "
                         "'VirtualSystem'." % root.sourceline,
                         lineNumber=root.sourceline, name='VirtualSystem')
    return envelope


def _read_collection(envelope, element):
    """A collection and, depth first, what it holds (its systems join
    `envelope.systems`)."""
    collection = Collection()
    collection.line = element.sourceline
    collection.id = _attr(element, 'id') or ''
    collection.name = _text(element, 'ovf:Name') or collection.id
    collection.info = _text(element, 'ovf:Info') or ''
    collection.annotation = _text(element, 'ovf:AnnotationSection/ovf:Annotation')
    collection.eulas = [(license.text or '').strip()
                        for license in element.iterfind('ovf:EulaSection/ovf:License',
                                                        NAMESPACES)]
    collection.products = [_read_product(envelope, section)
                           for section in element.iterfind('ovf:ProductSection', NAMESPACES)]
    collection.children = []
    for child in element:
        if not isinstance(child.tag, str) or etree.QName(child).namespace != OVF:
            continue
        name = etree.QName(child).localname
        if name == 'VirtualSystem':
            collection.children.append(_read_system(envelope, child))
        elif name == 'VirtualSystemCollection':
            collection.children.append(_read_collection(envelope, child))
    collection.startup = {}
    for item in element.iterfind('ovf:StartupSection/ovf:Item', NAMESPACES):
        startup = Startup()
        startup.order = _int_attr(item, 'order', 0)
        startup.start_delay = _int_attr(item, 'startDelay', 0)
        startup.stop_delay = _int_attr(item, 'stopDelay', 0)
        startup.start_action = _attr(item, 'startAction') or 'powerOn'
        startup.stop_action = _attr(item, 'stopAction') or 'powerOff'
        startup.waiting_for_guest = (_attr(item, 'waitingForGuest') or '').lower() == 'true'
        collection.startup[_attr(item, 'id') or ''] = startup
    return collection


def _int_attr(element, name, default):
    value = _attr(element, name)
    return int(value) if value and value.isdigit() else default


def _read_references(envelope, root):
    for element in root.iterfind('ovf:References/ovf:File', NAMESPACES):
        file = File(element)
        if not file.id or not file.href:
            envelope.problem('OvfMissingAttribute', "Line %d: Missing attribute '%s' on "
                             "element 'File'." % (element.sourceline,
                                                  'id' if not file.id else 'href'),
                             lineNumber=element.sourceline, elementName='File',
                             attributeName='id' if not file.id else 'href')
            continue
        if file.id in envelope.files:
            envelope.problem('OvfDuplicateElement', "Line %d: Duplicate element 'File'." %
                             element.sourceline, lineNumber=element.sourceline, name='File')
        envelope.files[file.id] = file


def _read_disks(envelope, root):
    for element in root.iterfind('ovf:DiskSection/ovf:Disk', NAMESPACES):
        line = element.sourceline
        disk_id = _attr(element, 'diskId')
        capacity = _attr(element, 'capacity')
        if not disk_id or not capacity:
            missing = 'diskId' if not disk_id else 'capacity'
            envelope.problem('OvfMissingAttribute', "Line %d: Missing attribute '%s' on "
                             "element 'Disk'." % (line, missing), lineNumber=line,
                             elementName='Disk', attributeName=missing)
            continue
        factor = unit_factor(_attr(element, 'capacityAllocationUnits'))
        if factor is None or not capacity.isdigit():
            bad = 'capacity' if not capacity.isdigit() else 'capacityAllocationUnits'
            envelope.problem('OvfInvalidValue', "Line %d: Invalid value '%s' for attribute "
                             "'%s' on element 'Disk'." % (line, _attr(element, bad), bad),
                             lineNumber=line, elementName='Disk', attributeName=bad,
                             value=_attr(element, bad))
            continue
        file = None
        file_ref = _attr(element, 'fileRef')
        if file_ref:
            file = envelope.files.get(file_ref)
            if file is None:
                envelope.problem('OvfInvalidValueReference', "Line %d: Invalid value '%s' "
                                 "for attribute 'fileRef' on element 'Disk'." % (line, file_ref),
                                 lineNumber=line, elementName='Disk', attributeName='fileRef',
                                 value=file_ref)
                continue
        populated = _attr(element, 'populatedSize')
        envelope.disks[disk_id] = Disk(disk_id, file, int(capacity) * factor,
                                       int(populated) if populated and populated.isdigit()
                                       else None, _attr(element, 'format'))


def _read_system(envelope, element):
    system = VirtualSystem()
    system.line = element.sourceline
    system.id = _attr(element, 'id') or ''
    system.name = _text(element, 'ovf:Name') or system.id
    system.info = _text(element, 'ovf:Info') or ''
    system.annotation = _text(element, 'ovf:AnnotationSection/ovf:Annotation')
    system.eulas = [(license.text or '').strip()
                    for license in element.iterfind('ovf:EulaSection/ovf:License', NAMESPACES)]
    os_section = element.find('ovf:OperatingSystemSection', NAMESPACES)
    os_id = _attr(os_section, 'id') if os_section is not None else None
    system.os_id = int(os_id) if os_id and os_id.isdigit() else None
    system.os_type = os_section.get(_q(VMW, 'osType')) if os_section is not None else None
    hardware = element.find('ovf:VirtualHardwareSection', NAMESPACES)
    system.items = []
    system.hardware_family = None
    if hardware is None:
        envelope.problem('OvfMissingElement', "Line %d: Missing child element "
                         "'VirtualHardwareSection'." % element.sourceline,
                         lineNumber=element.sourceline, name='VirtualHardwareSection')
    else:
        system.hardware_family = _text(hardware, 'ovf:System/vssd:VirtualSystemType')
        for item in hardware.iterfind('ovf:Item', NAMESPACES):
            system.items.append(Item(item))
        for item in hardware.iterfind('ovf:StorageItem', NAMESPACES):
            system.items.append(Item(item))
        for item in hardware.iterfind('ovf:EthernetPortItem', NAMESPACES):
            system.items.append(Item(item))
    system.products = [_read_product(envelope, section)
                       for section in element.iterfind('ovf:ProductSection', NAMESPACES)]
    envelope.systems.append(system)
    return system


def _read_product(envelope, section):
    product = Product()
    product.class_id = _attr(section, 'class') or ''
    product.instance_id = _attr(section, 'instance') or ''
    product.name = _text(section, 'ovf:Product') or ''
    product.vendor = _text(section, 'ovf:Vendor') or ''
    product.version = _text(section, 'ovf:Version') or ''
    product.full_version = _text(section, 'ovf:FullVersion') or ''
    product.product_url = _text(section, 'ovf:ProductUrl') or ''
    product.vendor_url = _text(section, 'ovf:VendorUrl') or ''
    product.app_url = _text(section, 'ovf:AppUrl') or ''
    product.properties = []
    category = ''
    for child in section:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == 'Category':
            category = (child.text or '').strip()
        elif name == 'Property':
            prop = Property()
            prop.line = child.sourceline
            prop.key = _attr(child, 'key') or ''
            prop.class_id, prop.instance_id = product.class_id, product.instance_id
            prop.type = _attr(child, 'type') or 'string'
            prop.qualifiers = _attr(child, 'qualifiers') or ''
            prop.value = _attr(child, 'value') or ''
            prop.user_configurable = (_attr(child, 'userConfigurable') or '').lower() == 'true'
            prop.password = (_attr(child, 'password') or '').lower() == 'true'
            prop.label = _text(child, 'ovf:Label') or ''
            prop.description = _text(child, 'ovf:Description') or ''
            prop.category = category
            if not prop.key:
                envelope.problem('OvfMissingAttribute', "Line %d: Missing attribute 'key' "
                                 "on element 'Property'." % prop.line, lineNumber=prop.line,
                                 elementName='Property', attributeName='key')
                continue
            product.properties.append(prop)
    return product


# -- property types ---------------------------------------------------------------------

def vim_property_type(prop):
    """VAppPropertyInfo.type for an OVF property: 'string', 'string(..16)',
    'string["a", "b"]', 'int(0..255)', 'real', 'boolean', 'password',
    'ip', ...; None when the OVF type is not one vSphere knows."""
    kind = prop.type
    qualifiers = prop.qualifiers
    if prop.password:
        return 'password'
    choices = re.search(r'ValueMap\{([^}]*)\}', qualifiers)
    if kind == 'string':
        if choices:
            values = [v.strip().strip('"') for v in choices.group(1).split(',')]
            return 'string[%s]' % ', '.join('"%s"' % v for v in values)
        low = re.search(r'MinLen\((\d+)\)', qualifiers)
        high = re.search(r'MaxLen\((\d+)\)', qualifiers)
        if low or high:
            return 'string(%s..%s)' % (low.group(1) if low else '', high.group(1) if high else '')
        return 'string'
    if kind in INT_RANGES:
        low, high = INT_RANGES[kind]
        return 'int(%d..%d)' % (low, high)
    if kind in ('boolean', 'real', 'ip', 'ip:network', 'expression'):
        return kind
    return None


def property_value_ok(vim_type, value):
    """Whether `value` is valid for a property of VAppPropertyInfo type `vim_type`."""
    if vim_type in ('string', 'password', 'expression', 'ip:network'):
        return True
    if vim_type == 'boolean':
        return value in ('True', 'False', 'true', 'false')
    if vim_type == 'real':
        try:
            float(value)
        except ValueError:
            return False
        return True
    if vim_type == 'ip':
        return value == '' or re.match(r'^[0-9A-Fa-f.:]+$', value) is not None
    if vim_type.startswith('int('):
        low, high = vim_type[4:-1].split('..')
        try:
            number = int(value)
        except ValueError:
            return False
        return int(low) <= number <= int(high)
    if vim_type.startswith('string['):
        return value in re.findall(r'"([^"]*)"', vim_type)
    if vim_type.startswith('string('):
        low, high = vim_type[7:-1].split('..')
        return (not low or len(value) >= int(low)) and (not high or len(value) <= int(high))
    return False


# -- writing ----------------------------------------------------------------------------

class Writer:
    """An OVF 1.0 envelope for a virtual system or a vApp's collection of
    them, built element by element in the order DSP8023's schema wants
    (sections before the content, rasd elements alphabetically)."""

    def __init__(self):
        self.root = etree.Element(_q(OVF, 'Envelope'), nsmap=NAMESPACES)
        self.references = etree.SubElement(self.root, _q(OVF, 'References'))
        self.disk_section = None
        self.network_section = None
        self.networks = []
        self.disks = 0
        self.top = None          # the envelope's content: a system or a collection
        self.parents = [self.root]
        self.entity = None       # the system or collection being written
        self.hardware = None     # its VirtualHardwareSection (a system's)
        self.next_instance = 1

    def file(self, file_id, href, size):
        element = etree.SubElement(self.references, _q(OVF, 'File'))
        element.set(_q(OVF, 'href'), href)
        element.set(_q(OVF, 'id'), file_id)
        if size is not None:
            element.set(_q(OVF, 'size'), str(size))

    def disk_number(self):
        """A new disk's number, unique in the envelope (its ids' suffix)."""
        self.disks += 1
        return self.disks

    def disk(self, disk_id, file_id, capacity_bytes, populated=None):
        if self.disk_section is None:
            self.disk_section = self._section('DiskSection', 'Virtual disk information')
        element = etree.SubElement(self.disk_section, _q(OVF, 'Disk'))
        gib = 2 ** 30
        if capacity_bytes % gib == 0:
            element.set(_q(OVF, 'capacity'), str(capacity_bytes // gib))
            element.set(_q(OVF, 'capacityAllocationUnits'), 'byte * 2^30')
        else:
            element.set(_q(OVF, 'capacity'), str(capacity_bytes))
            element.set(_q(OVF, 'capacityAllocationUnits'), 'byte')
        element.set(_q(OVF, 'diskId'), disk_id)
        if file_id is not None:
            element.set(_q(OVF, 'fileRef'), file_id)
        element.set(_q(OVF, 'format'), STREAM_OPTIMIZED)
        if populated is not None:
            element.set(_q(OVF, 'populatedSize'), str(populated))

    def network(self, name):
        if name in self.networks:
            return
        self.networks.append(name)
        if self.network_section is None:
            self.network_section = self._section('NetworkSection', 'The list of logical networks')
        element = etree.SubElement(self.network_section, _q(OVF, 'Network'))
        element.set(_q(OVF, 'name'), name)
        etree.SubElement(element, _q(OVF, 'Description')).text = 'The %s network' % name

    def _section(self, name, info):
        section = etree.Element(_q(OVF, name))
        etree.SubElement(section, _q(OVF, 'Info')).text = info
        if self.top is not None:     # sections go before the content
            self.top.addprevious(section)
        else:
            self.root.append(section)
        return section

    def _content(self, tag, name, info, description):
        element = etree.SubElement(self.parents[-1], _q(OVF, tag))
        if self.top is None:
            self.top = element
        element.set(_q(OVF, 'id'), name)
        etree.SubElement(element, _q(OVF, 'Info')).text = info
        etree.SubElement(element, _q(OVF, 'Name')).text = name
        if description:
            annotation = etree.SubElement(element, _q(OVF, 'AnnotationSection'))
            etree.SubElement(annotation, _q(OVF, 'Info')).text = 'A human-readable annotation'
            etree.SubElement(annotation, _q(OVF, 'Annotation')).text = description
        self.entity = element
        return element

    def collection(self, name, description):
        """A VirtualSystemCollection: what is written until end_collection() is in it."""
        self.parents.append(self._content('VirtualSystemCollection', name, 'A vApp',
                                          description))
        self.hardware = None

    def end_collection(self):
        self.parents.pop()

    def startup(self, entries):
        """The collection's StartupSection: (member id, VAppEntityConfigInfo) entries."""
        section = etree.SubElement(self.entity, _q(OVF, 'StartupSection'))
        etree.SubElement(section, _q(OVF, 'Info')).text = 'The start order of the members'
        for member, config in entries:
            item = etree.SubElement(section, _q(OVF, 'Item'))
            for name, value in (('id', member), ('order', config.startOrder),
                                ('startDelay', config.startDelay),
                                ('waitingForGuest', 'true' if config.waitingForGuest
                                 else 'false'),
                                ('startAction', config.startAction),
                                ('stopDelay', config.stopDelay),
                                ('stopAction', config.stopAction)):
                if value is not None:
                    item.set(_q(OVF, name), str(value))

    def virtual_system(self, name, description, guest_id, hardware_family):
        system = self._content('VirtualSystem', name, 'A virtual machine', description)
        self.next_instance = 1
        os_section = etree.SubElement(system, _q(OVF, 'OperatingSystemSection'))
        os_section.set(_q(OVF, 'id'), str(OS_IDS.get(guest_id, 1)))
        os_section.set(_q(VMW, 'osType'), guest_id)
        etree.SubElement(os_section, _q(OVF, 'Info')).text = \
            'The kind of installed guest operating system'
        self.hardware = etree.SubElement(system, _q(OVF, 'VirtualHardwareSection'))
        etree.SubElement(self.hardware, _q(OVF, 'Info')).text = 'Virtual hardware requirements'
        system = etree.SubElement(self.hardware, _q(OVF, 'System'))
        for field, value in (('ElementName', 'Virtual Hardware Family'), ('InstanceID', '0'),
                             ('VirtualSystemIdentifier', name),
                             ('VirtualSystemType', hardware_family)):
            etree.SubElement(system, _q(VSSD, field)).text = value

    def item(self, **fields):
        """A hardware Item of rasd `fields` (None values left out); its InstanceID."""
        instance = str(self.next_instance)
        self.next_instance += 1
        fields['InstanceID'] = instance
        element = etree.SubElement(self.hardware, _q(OVF, 'Item'))
        for name in sorted(fields):
            if fields[name] is not None:
                etree.SubElement(element, _q(RASD, name)).text = str(fields[name])
        return instance

    def product(self, product, properties):
        """A ProductSection of `product` (a VAppProductInfo or None) with
        `properties` (VAppPropertyInfo): a system's before its hardware, a
        collection's before its members."""
        section = etree.Element(_q(OVF, 'ProductSection'))
        if self.hardware is not None:
            self.hardware.addprevious(section)
        else:
            self.entity.append(section)
        if product is not None and product.classId:
            section.set(_q(OVF, 'class'), product.classId)
        if product is not None and product.instanceId:
            section.set(_q(OVF, 'instance'), product.instanceId)
        etree.SubElement(section, _q(OVF, 'Info')).text = 'Information about the installed software'
        if product is not None:
            for name, value in (('Product', product.name), ('Vendor', product.vendor),
                                ('Version', product.version),
                                ('FullVersion', product.fullVersion),
                                ('ProductUrl', product.productUrl),
                                ('VendorUrl', product.vendorUrl), ('AppUrl', product.appUrl)):
                if value:
                    etree.SubElement(section, _q(OVF, name)).text = value
        category = None
        for prop in properties:
            if prop.category and prop.category != category:
                category = prop.category
                etree.SubElement(section, _q(OVF, 'Category')).text = category
            element = etree.SubElement(section, _q(OVF, 'Property'))
            kind, qualifiers = ovf_property_type(prop.type or 'string')
            element.set(_q(OVF, 'key'), prop.id)
            element.set(_q(OVF, 'type'), kind)
            if qualifiers:
                element.set(_q(OVF, 'qualifiers'), qualifiers)
            if prop.type == 'password':
                element.set(_q(OVF, 'password'), 'true')
            element.set(_q(OVF, 'userConfigurable'), 'true' if prop.userConfigurable else 'false')
            element.set(_q(OVF, 'value'), prop.value or prop.defaultValue or '')
            if prop.label:
                etree.SubElement(element, _q(OVF, 'Label')).text = prop.label
            if prop.description:
                etree.SubElement(element, _q(OVF, 'Description')).text = prop.description

    def text(self):
        return etree.tostring(self.root, xml_declaration=True, encoding='UTF-8',
                              pretty_print=True).decode('utf-8')


def ovf_property_type(vim_type):
    """(ovf:type, ovf:qualifiers) of a VAppPropertyInfo type."""
    if vim_type.startswith('int('):
        low, high = (int(v) for v in vim_type[4:-1].split('..'))
        for name, bounds in INT_RANGES.items():
            if bounds == (low, high):
                return name, ''
        return 'sint64', ''
    if vim_type.startswith('string['):
        return 'string', 'ValueMap{%s}' % ','.join(
            '"%s"' % v for v in re.findall(r'"([^"]*)"', vim_type))
    if vim_type.startswith('string('):
        low, high = vim_type[7:-1].split('..')
        return 'string', ' '.join(q for q in (low and 'MinLen(%s)' % low,
                                              high and 'MaxLen(%s)' % high) if q)
    if vim_type == 'password':
        return 'string', ''
    if vim_type in ('boolean', 'real', 'ip', 'ip:network', 'expression'):
        return vim_type, ''
    return 'string', ''
