"""A small generated OVF package for the OVF and NFC tests: two disks on
one LSI Logic controller, a CD-ROM on IDE, one NIC, two deployment
options (small: 1 CPU and 512 MB, large: 4 CPUs and 2 GB) and a product
section with typed properties; its disks as stream-optimized VMDKs. A vApp
package holds such a system per member."""
import hashlib

from vimsim.managed.storage import stream_optimized

MB = 1024 * 1024
DISK_CAPACITIES = (4 * MB, 2 * MB)


def descriptor(name='ovf-vm', disk_sizes=(1000, 2000), hardware_family='vmx-13',
               network='VM Network'):
    """An OVF envelope; `disk_sizes`: the ovf:size of each disk's file."""
    files, disks, system = _system(name, disk_sizes, hardware_family, network, '')
    return ENVELOPE % {'files': files, 'disks': disks, 'network': network, 'systems': system}


def vapp_descriptor(name='ovf-vapp', members=('web', 'db'), network='VM Network'):
    """A vApp package: a VirtualSystemCollection `name` of one virtual
    system per member (each as descriptor()'s), a product section with a
    `domain` property, and a StartupSection starting the members in order
    (order 1, 2, ...; 10 s start delays, guest shutdown on stop)."""
    files, disks, systems, startup = [], [], [], []
    for order, member in enumerate(members, 1):
        member_files, member_disks, system = _system(member, (1000, 2000), 'vmx-13', network,
                                                     member + '-')
        files.append(member_files)
        disks.append(member_disks)
        systems.append(system)
        startup.append('<Item ovf:id="%s" ovf:order="%d" ovf:startAction="powerOn" '
                       'ovf:startDelay="10" ovf:stopAction="guestShutdown" ovf:stopDelay="0" '
                       'ovf:waitingForGuest="false"/>' % (member, order))
    collection = (
        '  <VirtualSystemCollection ovf:id="%s">\n    <Info>A vApp</Info>\n    <Name>%s</Name>\n'
        '    <StartupSection><Info>Start order</Info>%s</StartupSection>\n'
        '    <ProductSection ovf:class="vapp"><Info>The vApp</Info><Product>Test vApp</Product>'
        '<Vendor>vimsim</Vendor><Version>2.0</Version>'
        '<Property ovf:key="domain" ovf:type="string" ovf:userConfigurable="true" '
        'ovf:value="example.com"><Label>Domain</Label></Property></ProductSection>\n'
        '%s  </VirtualSystemCollection>\n' % (name, name, ''.join(startup), ''.join(systems)))
    return ENVELOPE % {'files': ''.join(files), 'disks': ''.join(disks), 'network': network,
                       'systems': collection}


def _system(name, disk_sizes, hardware_family, network, prefix):
    """(References files, DiskSection disks, VirtualSystem) of one VM; file
    and disk ids start with `prefix`."""
    files = ''.join('<File ovf:href="%s-disk%d.vmdk" ovf:id="%sfile%d" ovf:size="%d"/>' % (
        name, n + 1, prefix, n + 1, size) for n, size in enumerate(disk_sizes))
    disks = ''.join(
        '<Disk ovf:capacity="%d" ovf:capacityAllocationUnits="byte * 2^20" '
        'ovf:diskId="%svmdisk%d" ovf:fileRef="%sfile%d" '
        'ovf:format="http://www.vmware.com/interfaces/specifications/'
        'vmdk.html#streamOptimized"/>' % (capacity // MB, prefix, n + 1, prefix, n + 1)
        for n, capacity in enumerate(DISK_CAPACITIES))
    disk_items = ''.join(
        '<Item><rasd:AddressOnParent>%d</rasd:AddressOnParent><rasd:ElementName>Hard disk %d'
        '</rasd:ElementName><rasd:HostResource>ovf:/disk/%svmdisk%d</rasd:HostResource>'
        '<rasd:InstanceID>%d</rasd:InstanceID><rasd:Parent>3</rasd:Parent>'
        '<rasd:ResourceType>17</rasd:ResourceType></Item>' % (n, n + 1, prefix, n + 1, 10 + n)
        for n in range(len(DISK_CAPACITIES)))
    return files, disks, SYSTEM % {'network': network, 'name': name, 'family': hardware_family,
                                   'disk_items': disk_items}


ENVELOPE = '''<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
  xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
  xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References>%(files)s</References>
  <DiskSection><Info>Virtual disk information</Info>%(disks)s</DiskSection>
  <NetworkSection><Info>The list of logical networks</Info>
    <Network ovf:name="%(network)s"><Description>The VM Network network</Description></Network>
  </NetworkSection>
  <DeploymentOptionSection><Info>Deployment options</Info>
    <Configuration ovf:id="small"><Label>Small</Label><Description>1 CPU</Description></Configuration>
    <Configuration ovf:default="true" ovf:id="large"><Label>Large</Label><Description>4 CPUs</Description></Configuration>
  </DeploymentOptionSection>
%(systems)s</Envelope>
'''

SYSTEM = '''  <VirtualSystem ovf:id="%(name)s">
    <Info>A virtual machine</Info>
    <Name>%(name)s</Name>
    <AnnotationSection><Info>Notes</Info><Annotation>Generated for the tests</Annotation></AnnotationSection>
    <ProductSection ovf:class="app">
      <Info>Information about the installed software</Info>
      <Product>Test Appliance</Product><Vendor>vimsim</Vendor><Version>1.0</Version>
      <Category>Network</Category>
      <Property ovf:key="hostname" ovf:type="string" ovf:userConfigurable="true" ovf:value="appliance">
        <Label>Host name</Label><Description>The guest's host name</Description></Property>
      <Property ovf:key="port" ovf:type="uint16" ovf:userConfigurable="true" ovf:value="8080">
        <Label>Port</Label></Property>
      <Property ovf:key="mode" ovf:qualifiers="ValueMap{&quot;a&quot;,&quot;b&quot;}" ovf:type="string" ovf:value="a"/>
    </ProductSection>
    <OperatingSystemSection ovf:id="101" vmw:osType="otherLinux64Guest"><Info>OS</Info></OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName><vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>%(name)s</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>%(family)s</vssd:VirtualSystemType></System>
      <Item ovf:configuration="small"><rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits><rasd:ElementName>1 virtual CPU</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
      <Item ovf:configuration="large"><rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits><rasd:ElementName>4 virtual CPUs</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>4</rasd:VirtualQuantity></Item>
      <Item ovf:configuration="small"><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>512MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>512</rasd:VirtualQuantity></Item>
      <Item ovf:configuration="large"><rasd:AllocationUnits>byte * 2^30</rasd:AllocationUnits><rasd:ElementName>2GB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:ElementName>SCSI controller 0</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:ElementName>IDE 0</rasd:ElementName><rasd:InstanceID>4</rasd:InstanceID>
        <rasd:ResourceType>5</rasd:ResourceType></Item>
      <Item ovf:required="false"><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:AutomaticAllocation>false</rasd:AutomaticAllocation>
        <rasd:ElementName>CD-ROM 1</rasd:ElementName><rasd:InstanceID>5</rasd:InstanceID><rasd:Parent>4</rasd:Parent>
        <rasd:ResourceType>15</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>7</rasd:AddressOnParent><rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>%(network)s</rasd:Connection><rasd:ElementName>Network adapter 1</rasd:ElementName>
        <rasd:InstanceID>6</rasd:InstanceID><rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType></Item>
      %(disk_items)s
    </VirtualHardwareSection>
  </VirtualSystem>
'''


def disk_contents(number):
    """Disk `number`'s bytes (its capacity): a few patterned 64 KB areas, zeros elsewhere."""
    capacity = DISK_CAPACITIES[number]
    data = bytearray(capacity)
    for n, offset in enumerate((0, 3 * 65536, capacity - 65536)):
        piece = hashlib.sha256(b'%d-%d' % (number, n)).digest() * (65536 // 32)
        data[offset:offset + 65536] = piece
    return bytes(data)


def stream_vmdk(data):
    """`data` as a stream-optimized VMDK, as ovftool ships a disk."""
    return b''.join(stream_optimized.encode(
        lambda offset, size: data[offset:offset + size], len(data),
        '# Disk DescriptorFile\nversion=1\ncreateType="streamOptimized"\n',
        [(0, len(data))]))


def flat_image(stream, capacity):
    """The disk bytes a stream-optimized VMDK holds."""
    data = bytearray(capacity)
    decoder = stream_optimized.Decoder(
        lambda offset, piece: data.__setitem__(slice(offset, offset + len(piece)), piece),
        capacity)
    decoder.feed(stream)
    decoder.finish()
    return bytes(data)
