"""Conformance with real vCenter traffic: pyVmomi's own test cassettes.

`../shared/fixtures/pyvmomi-cassettes/*.yaml` (vcrpy YAML) hold what a real
vCenter 8.0.3 answered to pyVmomi. Each cassette's SOAP requests are replayed
against a simulator of our own: the recorded morefs are mapped to vimsim's
objects of the same type and role (learned from the answers as they come:
ServiceContent fields, FindByUuid, CreateContainerView, a view's `view`, a
host's `configManager`; otherwise a default VM, host, datastore, network or
datacenter of the default inventory), successful logins use the simulator's
credentials, and the cookie is vimsim's own. Then the *shape* of vimsim's answer
is compared with the real one: the HTTP status class, the response element, a
fault's type, Fetch's `returnval` xsi:type, and for every data type both answers
carry, the fields the real vCenter sent that vimsim left out.

Differences owed to inventory content (the recorded VM is a vCLS agent, the
cluster runs vSAN, the hosts are physical machines) are listed in `CONTENT`,
known gaps of the simulation in `GAPS`, each with the reason; anything else
fails.
"""
import http.client
import os
from urllib.parse import urlsplit

import pytest
from lxml import etree

from tests.conftest import _simulator
from vimsim.schema import MoRef

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASSETTES = os.path.join(ROOT, '..', 'shared', 'fixtures', 'pyvmomi-cassettes')
SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/'
XSI_TYPE = '{http://www.w3.org/2001/XMLSchema-instance}type'
USER, PASSWORD = 'my_user', 'my_password'

# The default objects standing in for the recorded ones: same type and role
# (the recorded host sits in a cluster, the recorded network is a standard
# port group, the recorded VM is powered on in the datacenter's VM folder).
DEFAULTS = {
    'Datacenter': 'DC0',
    'HostSystem': 'DC0_C0_H0',
    'VirtualMachine': 'DC0_H0_VM0',
    'Datastore': 'LocalDS_0',
    'Network': 'VM Network',
}

# Known differences: 'Type.field' (a field the real answer has and vimsim's
# lacks) or 'Fetch Type.prop' (a different returnval xsi:type), by reason.
# CONTENT: the recorded inventory holds what vimsim's default one does not.
CONTENT = {
    'the recorded VM is a vCLS agent VM: managed by the EAM extension, deployed '
    'from an OVF with product info, guest-customized, Photon OS tools': {
        'VirtualMachineConfigInfo.managedBy', 'VirtualMachineConfigSummary.managedBy',
        'VirtualMachineConfigSummary.product', 'VirtualMachineConfigInfo.vAppConfig',
        'GuestInfo.customizationInfo', 'GuestInfo.guestDetailedData',
        'ToolsConfigInfo.lastInstallInfo'},
    'CPU feature and EVC data of the physical Intel hosts': {
        'VirtualMachineRuntimeInfo.featureMask', 'VirtualMachineRuntimeInfo.featureRequirement',
        'VirtualMachineRuntimeInfo.minRequiredEVCModeKey',
        'VirtualMachineRuntimeInfo.offlineFeatureRequirement', 'HostListSummary.maxEVCModeKey',
        'HostHardwareInfo.cpuFeature', 'HostCpuPackage.cpuFeature'},
    'the recorded cluster runs vSAN (VsanDatastoreInfo, vSAN object ids, disk groups)': {
        'Fetch Datastore.info', 'HostRuntimeInfo.vsanRuntimeInfo',
        'VirtualDiskFlatVer2BackingInfo.backingObjectId',
        'VirtualMachineFileLayoutExFileInfo.backingObjectId',
        'VirtualMachineConfigInfo.vmStorageObjectId', 'VirtualMachineConfigInfo.swapStorageObjectId',
        'HostScsiDisk.vsanDiskInfo', 'VsanHostRuntimeInfo.membershipList',
        'VsanHostConfigInfoClusterInfo.uuid', 'VsanHostConfigInfoClusterInfo.nodeUuid',
        'VsanHostConfigInfoNetworkInfo.port', 'VsanHostConfigInfoStorageInfo.diskMapping',
        'VsanHostConfigInfoStorageInfo.diskMapInfo'},
    'physical hardware: BIOS releases, PCI devices, NUMA memory, SGX, real disks, '
    'FCoE NICs, NVMe/SCSI topology, IPv6, NTP servers configured': {
        'HostBIOSInfo.firmwareMajorRelease', 'HostBIOSInfo.firmwareMinorRelease',
        'HostBIOSInfo.majorRelease', 'HostBIOSInfo.minorRelease', 'HostHardwareInfo.pciDevice',
        'HostHardwareInfo.reliableMemoryInfo', 'HostHardwareInfo.sgxInfo',
        'HostNumaNode.memorySize', 'HostSystemInfo.qualifiedName', 'HostSystemInfo.vvolHostId',
        'HostSystemInfo.vvolHostNQN', 'HostScsiDisk.alternateName',
        'HostScsiDisk.applicationProtocol', 'HostScsiDisk.descriptor', 'HostScsiDisk.dispersedNs',
        'HostScsiDisk.durableName', 'HostScsiDisk.physicalLocation', 'HostScsiDisk.standardInquiry',
        'HostStorageDeviceInfo.multipathInfo', 'HostStorageDeviceInfo.nvmeTopology',
        'HostStorageDeviceInfo.plugStoreTopology', 'HostStorageDeviceInfo.scsiTopology',
        'HostConfigInfo.multipathState', 'PhysicalNic.fcoeConfiguration',
        'HostIpConfig.ipV6Config', 'HostIpRouteConfig.ipV6DefaultGateway',
        'HostIpRouteTableInfo.ipv6Route',
        'HostIpRouteConfig.ipV6GatewayDevice', 'HostNtpConfig.server',
        'HostNtpConfig.configFile', 'HostDateTimeInfo.ntpDuration', 'HostDateTimeInfo.ntpRunTime',
        'HostConfigInfo.pciPassthruInfo', 'HostConfigInfo.graphicsConfig',
        'HostConfigInfo.assignableHardwareConfig', 'HostNetworkInfo.nsxTransportNodeId'},
}

# GAPS: what any real host or VM reports and vimsim does not simulate yet.
GAPS = {
    'an ESXi 8 host\'s HostConfigInfo is only partly simulated': {
        'HostConfigInfo.authenticationManagerInfo', 'HostConfigInfo.certificate',
        'HostConfigInfo.deploymentInfo', 'HostConfigInfo.descriptionTreeCheckSum',
        'HostConfigInfo.featureCapability', 'HostConfigInfo.hostConfigCheckSum',
        'HostConfigInfo.ioFilterInfo', 'HostConfigInfo.maskedFeatureCapability',
        'HostConfigInfo.scriptCheckSum', 'HostConfigInfo.systemSwapConfiguration',
        'HostConfigInfo.vFlashConfigInfo', 'HostDnsConfig.virtualNicDevice',
        'HostNetStackInstance.routeTableConfig', 'HostNetworkInfo.nvdsToVdsMigrationRequired',
        'HostSystemResourceInfo.child', 'HostVMotionNetConfig.selectedVnic',
        'PhysicalNicSpec.ip', 'ResourceAllocationInfo.overheadLimit',
        'StringOption.validCharacters'},
    'HostCapability limits not simulated': {
        'HostCapability.maxRunningVMs', 'HostCapability.maxVirtualDiskDescVersionSupported',
        'HostCapability.vmDirectPathGen2UnsupportedReason'},
    'VM fields whose real values vimsim does not know yet (memory hot-plug limits, '
    'vNUMA, LSI-to-PVSCSI swap, vmx checksum, location id, disk format version)': {
        'VirtualMachineConfigInfo.hotPlugMemoryLimit',
        'VirtualMachineConfigInfo.hotPlugMemoryIncrementSize', 'VirtualMachineConfigInfo.numaInfo',
        'VirtualMachineConfigInfo.deviceSwap', 'VirtualMachineConfigInfo.vmxConfigChecksum',
        'VirtualMachineConfigInfo.locationId', 'VirtualDisk.vDiskVersion',
        'VirtualDisk.guestReadOnly'},
}
KNOWN = {key for keys in list(CONTENT.values()) + list(GAPS.values()) for key in keys}


# Cassettes with no vim25 request vimsim can answer: a proxy, an SDK tunnel,
# a 2014 simulator speaking urn:vim2.
NOTHING_TO_COMPARE = {'http_proxy.yaml', 'ssl_tunnel.yaml', 'ssl_tunnel_http_failure.yaml',
                      'test_simple_request_serializer.yaml'}


def _cassettes():
    if not os.path.isdir(CASSETTES):
        return [pytest.param(None, marks=pytest.mark.skip(
            reason='pyVmomi cassettes not found at %s' % CASSETTES))]
    return sorted(name for name in os.listdir(CASSETTES) if name.endswith('.yaml'))


def load(name):
    yaml = pytest.importorskip('yaml', reason='reading the cassettes needs PyYAML')

    class Loader(yaml.SafeLoader):
        pass
    # Old cassettes were written by Python 2's PyYAML.
    Loader.add_constructor('tag:yaml.org,2002:python/unicode',
                           lambda loader, node: loader.construct_scalar(node))
    with open(os.path.join(CASSETTES, name)) as stream:
        return yaml.load(stream, Loader=Loader)['interactions']


def _text(value):
    if isinstance(value, dict):
        value = value.get('string')
    if isinstance(value, bytes):
        value = value.decode('utf-8')
    return value or ''


def _header(headers, name):
    for key, values in (headers or {}).items():
        if key.lower() == name.lower():
            return values[0] if isinstance(values, list) else values
    return None


@pytest.fixture(scope='module')
def cassette_sim(validator):
    """A vCenter of the default inventory that knows the cassettes' user."""
    return _simulator(validator, tls=False, username=USER, password=PASSWORD)


class Replay:
    """One cassette's conversation with the simulator."""

    def __init__(self, running):
        self.running = running
        self.schema = running.sim.schema
        self.cookie = None
        self.refs = {}            # (type, recorded moid) -> vimsim moid
        self.differences = []
        self.compared = 0
        self.defaults = {}
        for obj in running.sim.objects:
            name = DEFAULTS.get(obj.ref.type)
            if name is not None and getattr(obj, 'name', None) == name:
                self.defaults[obj.ref.type] = obj

    # -- requests -------------------------------------------------------------
    def run(self, interactions):
        for number, interaction in enumerate(interactions):
            request, response = interaction['request'], interaction['response']
            where = '#%d' % number
            path = urlsplit(request['uri']).path      # not /pbm/sdk: vimsim has no SPBM
            if request['method'] == 'GET' and path == '/sdk/vimServiceVersions.xml':
                self.versions_document(where, response)
            elif request['method'] == 'POST' and path == '/sdk':
                self.soap(where, request, response)

    def versions_document(self, where, recorded):
        status, body, _ = self.send('GET', '/sdk/vimServiceVersions.xml', None, {})
        self.compared += 1
        if status != recorded['status']['code']:
            self.differ(where, 'vimServiceVersions.xml HTTP %d, real %d' % (
                status, recorded['status']['code']))
            return
        real = etree.fromstring(_text(recorded['body']).encode())
        ours = etree.fromstring(body)
        if (real.tag, real.attrib) != (ours.tag, ours.attrib):
            self.differ(where, 'vimServiceVersions.xml root %s%s, real %s%s' % (
                ours.tag, dict(ours.attrib), real.tag, dict(real.attrib)))
        missing = _paths(real) - _paths(ours)
        if missing:
            self.differ(where, 'vimServiceVersions.xml lacks %s' % sorted(missing))

    def soap(self, where, request, recorded):
        action = _header(request['headers'], 'SOAPAction')
        if not (action or '').strip('"').startswith('urn:vim25'):
            return     # not vim25 (urn:vim2 of a 2014 simulator)
        envelope = etree.fromstring(_text(request['body']).encode())
        call = envelope.find('{%s}Body' % SOAP_ENV)[0]
        method = etree.QName(call).localname
        for element in call.iter():
            if 'type' in element.attrib and element.text:
                ours = self.ref(element.get('type'), element.text)
                if ours is None:
                    return   # no object of that type and role in vimsim
                element.text = ours
        real_status = recorded['status']['code']
        if method == 'Login' and real_status == 200:
            call.find('{urn:vim25}userName').text = USER
            call.find('{urn:vim25}password').text = PASSWORD
        if method == 'FindByUuid':
            vm = self.defaults['VirtualMachine']
            instance = call.find('{urn:vim25}instanceUuid')
            field = 'instanceUuid' if instance is not None and instance.text == 'true' else 'uuid'
            call.find('{urn:vim25}uuid').text = self.fetch(vm.ref, 'config.' + field)
        headers = {'SOAPAction': action,
                   'Content-Type': _header(request['headers'], 'Content-Type')}
        if _header(request['headers'], 'Cookie') and self.cookie:
            headers['Cookie'] = self.cookie
        agent = _header(request['headers'], 'User-Agent')
        if agent:
            headers['User-Agent'] = agent
        body = etree.tostring(envelope, xml_declaration=True, encoding='UTF-8')
        status, answer, cookie = self.send('POST', '/sdk', body, headers)
        if cookie:
            self.cookie = cookie
        self.compared += 1
        this = call.find('{urn:vim25}_this').get('type')
        prop = call.findtext('{urn:vim25}prop')
        label = '%s %s.%s' % (where, this, prop or method)
        self.compare(label, method, this, prop, real_status, _text(recorded['body']),
                     status, answer)

    def ref(self, type_name, recorded):
        ours = self.refs.get((type_name, recorded))
        if ours is not None:
            return ours
        if self.running.sim.objects.get(MoRef(type_name, recorded)) is not None \
                and type_name not in DEFAULTS:
            return recorded    # the well-known moids: ServiceInstance, group-d1, ...
        default = self.defaults.get(type_name)
        if default is None:
            return None
        self.refs[(type_name, recorded)] = default.ref.value
        return default.ref.value

    def fetch(self, ref, path):
        body = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
                '"%s"><soapenv:Body><Fetch xmlns="urn:vim25"><_this type="%s">%s</_this>'
                '<prop>%s</prop></Fetch></soapenv:Body></soapenv:Envelope>' % (
                    SOAP_ENV, ref.type, ref.value, path))
        status, answer, _ = self.send('POST', '/sdk', body.encode(), {
            'SOAPAction': '"urn:vim25/8.0.2.0"', 'Cookie': self.cookie or ''})
        assert status == 200, answer
        return etree.fromstring(answer).find('.//{urn:vim25}returnval').text

    def send(self, method, path, body, headers):
        connection = http.client.HTTPConnection(self.running.host, self.running.port,
                                                timeout=60)
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            return response.status, response.read(), response.getheader('Set-Cookie')
        finally:
            connection.close()

    # -- answers ----------------------------------------------------------------
    def differ(self, where, text, key=None):
        """Record a difference; `key` names it in CONTENT when it may be one."""
        self.differences.append((where, text, key))

    def compare(self, where, method, this, prop, real_status, real_body, status, body):
        if real_status // 100 != status // 100:
            self.differ(where, 'HTTP %d, real %d' % (status, real_status))
        real = etree.fromstring(real_body.encode()).find('{%s}Body' % SOAP_ENV)[0]
        ours = etree.fromstring(body).find('{%s}Body' % SOAP_ENV)[0]
        if real.tag != ours.tag:
            self.differ(where, 'answered %s, real %s' % (ours.tag, real.tag))
            return
        if real.tag == '{%s}Fault' % SOAP_ENV:
            real_fault, our_fault = _fault_type(real), _fault_type(ours)
            if real_fault != our_fault:
                self.differ(where, 'fault %s, real %s' % (our_fault, real_fault))
            return
        self.learn(real, ours)
        real_values = real.findall('{urn:vim25}returnval')
        our_values = ours.findall('{urn:vim25}returnval')
        if method == 'Fetch':
            real_type = real_values[0].get(XSI_TYPE) if real_values else None
            our_type = our_values[0].get(XSI_TYPE) if our_values else None
            if real_type != our_type:
                self.differ(where, 'returnval %s, real %s' % (our_type, real_type),
                            'Fetch %s.%s' % (this, prop))
        operation = self.schema.operations.get(method)
        static = operation.result.type if operation is not None and operation.result else None
        real_shape, our_shape = {}, {}
        for element in real_values:
            self.shape(element, static, real_shape)
        for element in our_values:
            self.shape(element, static, our_shape)
        for type_name, fields in sorted(real_shape.items()):
            if type_name in our_shape:
                for field in sorted(fields - our_shape[type_name]):
                    self.differ(where, '%s.%s missing' % (type_name, field),
                                '%s.%s' % (type_name, field))

    def shape(self, element, static, shapes):
        """Collect {type name: names of the child elements seen} under element."""
        type_name = element.get(XSI_TYPE) or static
        if type_name is None:
            return
        type_name = type_name.partition(':')[2] if type_name.startswith('xsd:') else type_name
        children = [child for child in element if isinstance(child.tag, str)]
        if type_name.startswith('ArrayOf'):
            item = type_name[len('ArrayOf'):]
            for child in children:
                self.shape(child, item, shapes)
            return
        data_type = self.schema.types.get(type_name)
        if data_type is None:
            return      # a primitive, an enum or a MoRef
        shapes.setdefault(type_name, set()).update(
            etree.QName(child).localname for child in children)
        for child in children:
            name = etree.QName(child).localname
            field = data_type.field_map.get(name)
            self.shape(child, field.type if field is not None else None, shapes)

    def learn(self, real, ours):
        """Map the recorded morefs of an answer to vimsim's at the same place."""
        def refs(element):
            found = {}
            for node in element.iter():
                if 'type' in node.attrib and node.text:
                    path = '/'.join(etree.QName(n).localname
                                    for n in reversed(list(node.iterancestors())))
                    found.setdefault((path, node.get('type')), []).append(node.text)
            return found
        ours = refs(ours)
        for key, values in refs(real).items():
            for recorded, mine in zip(values, ours.get(key, ())):
                self.refs.setdefault((key[1], recorded), mine)


def _paths(element, prefix=''):
    path = prefix + '/' + etree.QName(element).localname
    paths = {path}
    for child in element:
        if isinstance(child.tag, str):
            paths |= _paths(child, path)
    return paths


def _fault_type(fault):
    detail = fault.find('detail')
    if detail is None or len(detail) == 0:
        return None
    return detail[0].get(XSI_TYPE) or etree.QName(detail[0]).localname


@pytest.mark.parametrize('name', _cassettes())
def test_cassette(cassette_sim, name):
    replay = Replay(cassette_sim)
    replay.run(load(name))
    assert replay.compared or name in NOTHING_TO_COMPARE, 'nothing replayed'
    unexpected = ['%s: %s' % (where, text) for where, text, key in replay.differences
                  if key not in KNOWN]
    assert not unexpected, '\n'.join(unexpected)
