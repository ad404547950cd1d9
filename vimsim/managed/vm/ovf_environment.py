"""The OVF environment a running VM's guest sees (ExtractOvfEnvironment).

ESXi builds it from the VM's vApp options (config.vAppConfig) as the VM
powers on: the platform (the host's product), each property's value (its
default when unset; a password's is left out, as vCenter omits sensitive
values), and the VM's NICs. A VM without vApp options has none (the empty
string); one that is not running has none yet (InvalidState).
"""
from lxml import etree

from vimsim.managed.vm.vm_task import invalid_state

OE = 'http://schemas.dmtf.org/ovf/environment/1'
VE = 'http://www.vmware.com/schema/ovfenv'
XSI = 'http://www.w3.org/2001/XMLSchema-instance'


def property_key(prop):
    """The environment's key of a VAppPropertyInfo: [classId.]id[.instanceId]."""
    return '.'.join(part for part in (prop.classId, prop.id, prop.instanceId) if part)


def ovf_environment(vm):
    if vm.power_state != 'poweredOn':
        raise invalid_state()
    vapp = vm.config.vAppConfig
    if vapp is None:
        return ''
    oe = '{%s}' % OE
    ve = '{%s}' % VE
    root = etree.Element(oe + 'Environment', nsmap={None: OE, 'oe': OE, 've': VE, 'xsi': XSI})
    root.set(oe + 'id', '')
    root.set(ve + 'vCenterId', vm.ref.value)
    platform = etree.SubElement(root, oe + 'PlatformSection')
    product = vm.host.about()
    for tag, text in (('Kind', product.name), ('Version', product.version),
                      ('Vendor', product.vendor), ('Locale', 'en')):
        etree.SubElement(platform, oe + tag).text = text
    properties = etree.SubElement(root, oe + 'PropertySection')
    for prop in vapp.property:
        if prop.type == 'password' or not prop.id:
            continue
        value = prop.value if prop.value is not None else prop.defaultValue
        element = etree.SubElement(properties, oe + 'Property')
        element.set(oe + 'key', property_key(prop))
        element.set(oe + 'value', value or '')
    adapters = etree.SubElement(root, ve + 'EthernetAdapterSection')
    for network, mac, _ in vm.guest_nics():
        adapter = etree.SubElement(adapters, ve + 'Adapter')
        adapter.set(ve + 'mac', mac or '')
        adapter.set(ve + 'network', network or '')
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8',
                          pretty_print=True).decode('utf-8')
