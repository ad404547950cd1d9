"""vCenter's XML form of a CustomizationSpecItem (what the vSphere Client
exports and imports, CustomizationSpecItemToXml / XmlToCustomizationSpecItem).

The root is `<ConfigRoot>`; a data object is an element whose first child
`<_type>` names its vmodl type (`vim.vm.customization.LinuxPrep`), then its
set fields in the order of their names; an array is `<_length>`, `<_type>`
(the item type with `[]`: `string[]`, `vim.vm.customization.AdapterMapping[]`)
and an `<e id="N">` per item; a primitive is its XML Schema text (booleans
`true` / `false`), an enum its value, an anyType value an element with the
`<_type>` of its primitive and a `<_value>`. The vmodl names are the
customization types' own (the rule below, and the names that do not follow
it). Reading takes back exactly this form: anything else, an unknown type,
field or value, answers InvalidArgument.
"""
from lxml import etree

from vimsim.soap.decode import parse_document, parse_primitive
from vimsim.soap.encode import XSD_PRIMITIVES, format_primitive
from vimsim.soap.fault import InvalidArgument

ROOT = 'ConfigRoot'
PREFIX = 'Customization'
PACKAGE = 'vim.vm.customization.'
# the vmodl names no rule gives ('Customization' + X is vim.vm.customization.X)
VMODL_NAMES = {
    'CustomizationSpecItem': 'vim.CustomizationSpecItem',
    'CustomizationSpecInfo': 'vim.CustomizationSpecInfo',
    'CustomizationSpec': PACKAGE + 'Specification',
    'CustomizationName': PACKAGE + 'NameGenerator',
    'CustomizationCustomName': PACKAGE + 'CustomNameGenerator',
    'CustomizationPrefixName': PACKAGE + 'PrefixNameGenerator',
    'CustomizationUnknownName': PACKAGE + 'UnknownNameGenerator',
    'CustomizationVirtualMachineName': PACKAGE + 'VirtualMachineNameGenerator',
    'CustomizationIPSettingsIpV6AddressSpec': PACKAGE + 'IPSettings.IpV6AddressSpec',
    'OptionValue': 'vim.option.OptionValue',
    'HostInternetScsiHbaParamValue': 'vim.host.InternetScsiHba.ParamValue',
}
SKIPPED = ('dynamicType', 'dynamicProperty')    # DynamicData's, not part of the form
_ANY_TYPES = {bool: 'boolean', int: 'long', float: 'double', str: 'string'}


def vmodl_name(type_name):
    """The vmodl name of a data type of a CustomizationSpecItem."""
    found = VMODL_NAMES.get(type_name)
    if found is not None:
        return found
    if type_name.startswith(PREFIX):
        return PACKAGE + type_name[len(PREFIX):]
    return None


def item_to_xml(schema, item):
    """The XML text of a CustomizationSpecItem."""
    root = etree.Element(ROOT)
    _object(schema, root, item)
    return etree.tostring(root, encoding='unicode', pretty_print=True)


def _object(schema, element, value):
    data_type = value._type
    etree.SubElement(element, '_type').text = vmodl_name(data_type.name)
    for field in sorted(data_type.fields, key=lambda f: f.name):
        member = getattr(value, field.name)
        if field.name in SKIPPED or member is None or (field.array and not member):
            continue
        child = etree.SubElement(element, field.name)
        if field.array:
            etree.SubElement(child, '_length').text = str(len(member))
            etree.SubElement(child, '_type').text = _item_type(schema, field) + '[]'
            for index, each in enumerate(member):
                entry = etree.SubElement(child, 'e', id=str(index))
                _member(schema, entry, field.type, each)
        else:
            _member(schema, child, field.type, member)


def _item_type(schema, field):
    if field.type in schema.types:
        return vmodl_name(field.type)
    return 'string' if field.type in schema.enums else field.type


def _member(schema, element, type_name, value):
    if type_name == 'anyType':
        primitive = _ANY_TYPES.get(type(value), 'string')
        etree.SubElement(element, '_type').text = primitive
        etree.SubElement(element, '_value').text = _text(primitive, value)
    elif type_name in schema.types:
        _object(schema, element, value)
    else:
        element.text = _text('string' if type_name in schema.enums else type_name, value)


def _text(type_name, value):
    if type_name in ('string', 'anyURI'):
        return value
    return format_primitive(type_name, value)


# -- reading -----------------------------------------------------------------------------
def xml_to_item(schema, text):
    """The CustomizationSpecItem the XML text describes (InvalidArgument
    naming `specItemXml` for anything not of the form)."""
    try:
        root = parse_document((text or '').encode('utf-8'))
    except schema.types['MethodFault'].cls:
        raise InvalidArgument('specItemXml') from None
    by_vmodl = {vmodl_name(name): name for name in schema.types if vmodl_name(name)}
    if root.tag != ROOT:
        raise InvalidArgument('specItemXml')
    item = _read_object(schema, by_vmodl, root, 'CustomizationSpecItem')
    if item._type.name != 'CustomizationSpecItem':
        raise InvalidArgument('specItemXml')
    return item


def _children(element):
    return [child for child in element if isinstance(child.tag, str)]


def _read_object(schema, by_vmodl, element, declared):
    children = _children(element)
    if not children or children[0].tag != '_type':
        raise InvalidArgument('specItemXml')
    data_type = schema.types.get(by_vmodl.get((children[0].text or '').strip()))
    if data_type is None or not data_type.is_a(declared):
        raise InvalidArgument('specItemXml')
    values = {}
    for child in children[1:]:
        field = data_type.field_map.get(child.tag)
        if field is None or child.tag in SKIPPED or child.tag in values:
            raise InvalidArgument('specItemXml')
        if field.array:
            parts = _children(child)
            entries = [part for part in parts if part.tag == 'e']
            length = next((part.text for part in parts if part.tag == '_length'), None)
            if length is None or not length.strip().isdigit() or int(length) != len(entries):
                raise InvalidArgument('specItemXml')
            values[field.name] = [_read_member(schema, by_vmodl, entry, field.type)
                                  for entry in entries]
        else:
            values[field.name] = _read_member(schema, by_vmodl, child, field.type)
    return data_type.cls(**values)


def _read_member(schema, by_vmodl, element, type_name):
    if type_name == 'anyType':
        parts = {child.tag: child.text or '' for child in _children(element)}
        primitive = parts.get('_type')
        if primitive not in XSD_PRIMITIVES or '_value' not in parts:
            raise InvalidArgument('specItemXml')
        return _primitive(schema, primitive, parts['_value'])
    if type_name in schema.types:
        return _read_object(schema, by_vmodl, element, type_name)
    if type_name in schema.enums:
        if (element.text or '') not in schema.enums[type_name].values:
            raise InvalidArgument('specItemXml')
        return element.text
    return _primitive(schema, type_name, element.text or '')


def _primitive(schema, type_name, text):
    try:
        return parse_primitive(type_name, text)
    except schema.types['MethodFault'].cls:
        raise InvalidArgument('specItemXml') from None
