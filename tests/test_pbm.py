"""PBM at /pbm/sdk through pyVmomi's `pbm` module, connected with the vim25
session's cookie as pyVmomi's samples connect: vCenter's default policies,
tag-based policies over the tagging model, compatibility of the datastores,
policies assigned to a VM and its disks by ReconfigVM_Task, compliance."""
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from lxml import etree
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import SoapStubAdapter, VmomiSupport, pbm, vim, vmodl

from tests.conftest import _simulator, all_of, logged_in, on_reactor, task_fault

TAG = 'http://www.vmware.com/storage/tag'
VSAN_DEFAULT = 'aa6d5a82-1c88-45da-85d3-3d74b91a5bad'
STORAGE = pbm.profile.ResourceType(resourceType='STORAGE')


@pytest.fixture(scope='module')
def sim(validator):
    """HTTPS, a simulator of its own with three datastores: the tests make
    policies and tag datastores."""
    return _simulator(validator, ds=3)


@pytest.fixture
def si(sim):
    yield from logged_in(sim)


def pbm_content(sim, cookie):
    """PbmServiceInstanceContent over a stub sending `cookie` as the
    vcSessionCookie header (pyVmomi's request context, as its samples do)."""
    VmomiSupport.GetRequestContext()['vcSessionCookie'] = cookie
    stub = SoapStubAdapter(host=sim.host, port=sim.port if sim.tls else -sim.port,
                           version='pbm.version.version11', path='/pbm/sdk', poolSize=0,
                           sslContext=ssl._create_unverified_context())
    return pbm.ServiceInstance('ServiceInstance', stub).RetrieveContent()


@pytest.fixture
def content(sim, si):
    yield pbm_content(sim, si._stub.cookie.split('"')[1])
    VmomiSupport.GetRequestContext().pop('vcSessionCookie', None)


def _datastores(si):
    return sorted(all_of(si, vim.Datastore), key=lambda ds: ds._moId)


def _vm(si, name='DC0_H0_VM0'):
    return next(vm for vm in all_of(si, vim.VirtualMachine) if vm.name == name)


def _tag_datastore(sim, datastore, category_name, tag_name):
    def tag():
        tagging = sim.sim.tagging
        category = next((c for c in tagging.categories.values() if c.name == category_name),
                        None) or tagging.create_category(category_name, '', 'MULTIPLE', [])
        made = next((t for t in tagging.tags.values()
                     if t.name == tag_name and t.category is category), None) or \
            tagging.create_tag(category, tag_name, '')
        tagging.attach(made, 'Datastore', datastore._moId)
        return made
    return on_reactor(tag)


def _tag_rule(category, *names, operator=None):
    return pbm.capability.CapabilityInstance(
        id=pbm.capability.CapabilityMetadata.UniqueId(namespace=TAG, id=category),
        constraint=[pbm.capability.ConstraintInstance(propertyInstance=[
            pbm.capability.PropertyInstance(
                id='com.vmware.storage.tag.%s.property' % category, operator=operator,
                value=pbm.capability.types.DiscreteSet(values=list(names)))])])


def _vmfs_rule(allocation):
    """A VMFS space-allocation rule."""
    return pbm.capability.CapabilityInstance(
        id=pbm.capability.CapabilityMetadata.UniqueId(
            namespace='com.vmware.storage.volumeallocation', id='VolumeAllocationType'),
        constraint=[pbm.capability.ConstraintInstance(propertyInstance=[
            pbm.capability.PropertyInstance(id='VolumeAllocationType', value=allocation)])])


def _rules(*capabilities, name='Rule-set 1'):
    return pbm.profile.SubProfileCapabilityConstraints(subProfiles=[
        pbm.profile.SubProfileCapabilityConstraints.SubProfile(
            name=name, capability=list(capabilities))])


def _create(content, name, constraints, category='REQUIREMENT'):
    spec = pbm.profile.CapabilityBasedProfileCreateSpec(
        name=name, description='made by a test', category=category, resourceType=STORAGE,
        constraints=constraints)
    return content.profileManager.PbmCreate(createSpec=spec)


def _vm_ref(vm):
    return pbm.ServerObjectRef(objectType='virtualMachine', key=vm._moId)


def _disk_ref(vm, disk):
    return pbm.ServerObjectRef(objectType='virtualDiskId', key='%s:%d' % (vm._moId, disk.key))


def _disk(vm):
    return next(d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk))


def _assign(vm, profile_id, disk=None):
    """ReconfigVM_Task with vmProfile (and the disk's device profile)."""
    spec = vim.vm.DefinedProfileSpec(profileId=profile_id)
    changes = [vim.vm.device.VirtualDeviceSpec(operation='edit', device=disk, profile=[spec])] \
        if disk is not None else []
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(vmProfile=[spec], deviceChange=changes)))


def test_acceptance_tag_policy_compatibility_assignment_compliance(sim, si, content):
    """Acceptance: a tag-based policy made through pbm, the datastores'
    compatibility with it, the policy assigned to a VM and its disk through
    ReconfigVM_Task and read back, its compliance; untagging the datastore
    makes the VM non-compliant."""
    vm = _vm(si)
    home = vm.datastore[0]
    _tag_datastore(sim, home, 'tier', 'gold')
    profile_id = _create(content, 'gold-tier', _rules(_tag_rule('tier', 'gold')))
    profile = content.profileManager.PbmRetrieveContent(profileIds=[profile_id])[0]
    assert (profile.name, profile.profileCategory, profile.createdBy) == \
        ('gold-tier', 'REQUIREMENT', 'user')
    rule = profile.constraints.subProfiles[0].capability[0]
    assert (rule.id.namespace, rule.id.id) == (TAG, 'tier')
    assert list(rule.constraint[0].propertyInstance[0].value.values) == ['gold']

    results = content.placementSolver.PbmCheckCompatibility(profile=profile_id)
    assert {r.hub.hubId for r in results} == {ds._moId for ds in _datastores(si)}
    assert len(results) == 3
    for result in results:
        if result.hub.hubId == home._moId:
            assert not result.error
        else:
            (error,) = result.error
            assert isinstance(error, pbm.fault.PropertyMismatchFault)
            assert error.capabilityInstanceId.id == 'tier'
            assert 'Tags with name (gold) not found on datastore' in error.msg
    matching = content.placementSolver.PbmQueryMatchingHub(profile=profile_id)
    assert [hub.hubId for hub in matching] == [home._moId]

    disk = _disk(vm)
    _assign(vm, profile_id.uniqueId, disk)
    manager = content.profileManager
    assert [p.uniqueId for p in manager.PbmQueryAssociatedProfile(entity=_vm_ref(vm))] == \
        [profile_id.uniqueId]
    assert [p.uniqueId for p in manager.PbmQueryAssociatedProfile(
        entity=_disk_ref(vm, disk))] == [profile_id.uniqueId]
    associated = manager.PbmQueryAssociatedEntity(profile=profile_id)
    assert sorted(ref.key for ref in associated) == sorted(
        [vm._moId, '%s:%d' % (vm._moId, disk.key)])

    compliance = content.complianceManager
    results = compliance.PbmCheckCompliance(entities=[_vm_ref(vm), _disk_ref(vm, disk)])
    assert [(r.entity.key, r.complianceStatus, r.profile.uniqueId) for r in results] == [
        (vm._moId, 'compliant', profile_id.uniqueId),
        ('%s:%d' % (vm._moId, disk.key), 'compliant', profile_id.uniqueId)]
    assert [r.complianceStatus for r in compliance.PbmFetchComplianceResult(
        entities=[_vm_ref(vm)])] == ['compliant']
    assert vm._moId in [ref.key for ref in
                        compliance.PbmQueryByRollupComplianceStatus(status='compliant')]

    on_reactor(lambda: sim.sim.tagging.detach(
        next(t for t in sim.sim.tagging.tags.values() if t.name == 'gold'),
        'Datastore', home._moId))
    results = compliance.PbmCheckCompliance(entities=[
        pbm.ServerObjectRef(objectType='virtualMachineAndDisks', key=vm._moId)])
    assert {r.complianceStatus for r in results} == {'nonCompliant'}
    assert vm._moId in [ref.key for ref in
                        compliance.PbmQueryByRollupComplianceStatus(status='nonCompliant')]


def test_defaults_and_queries(si, content):
    """vCenter's own policies; vSAN's default fits no VMFS datastore (one
    error per datastore); VMFS datastores have no default policy."""
    manager = content.profileManager
    ids = manager.PbmQueryProfile(resourceType=STORAGE, profileCategory='REQUIREMENT')
    names = {p.name: p for p in manager.PbmRetrieveContent(profileIds=ids)}
    assert {'vSAN Default Storage Policy', 'VVol No Requirements Policy',
            'VM Encryption Policy', 'Host-local PMem Default Storage Policy'} <= set(names)
    vsan = names['vSAN Default Storage Policy']
    assert (vsan.profileId.uniqueId, vsan.systemCreatedProfileType) == \
        (VSAN_DEFAULT, 'VsanDefaultProfile')
    assert {c.id.id for c in vsan.constraints.subProfiles[0].capability} >= {
        'hostFailuresToTolerate', 'stripeWidth'}
    for result in content.placementSolver.PbmCheckCompatibility(profile=vsan.profileId):
        assert [type(e) for e in result.error] == [pbm.fault.CompatibilityCheckFault]
    everything = content.placementSolver.PbmCheckCompatibility(
        profile=names['VVol No Requirements Policy'].profileId)
    assert everything and not any(r.error for r in everything)
    hubs = [pbm.placement.PlacementHub(hubType='Datastore', hubId=ds._moId)
            for ds in _datastores(si)]
    assert manager.PbmQueryDefaultRequirementProfile(hub=hubs[0]) is None
    (group,) = manager.PbmQueryDefaultRequirementProfiles(datastores=hubs)
    assert group.defaultProfile is None and len(group.datastores) == len(hubs)
    with pytest.raises(pbm.fault.NonExistentHubs):
        manager.PbmQueryDefaultRequirementProfile(
            hub=pbm.placement.PlacementHub(hubType='Datastore', hubId='datastore-999'))
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.PbmQueryProfile(resourceType=pbm.profile.ResourceType(resourceType='DISK'))
    metadata = {m.subCategory: m for m in manager.PbmFetchCapabilityMetadata(
        resourceType=STORAGE)}
    assert {'tag', 'VMFS', 'VSAN', 'PMem'} <= set(metadata)
    assert {c.id.id for c in metadata['VSAN'].capabilityMetadata} >= {'hostFailuresToTolerate'}


def test_profile_rules_and_lifecycle(sim, si, content):
    """Create checks the name and the rules (known providers, existing tag
    categories); update bumps generationId; delete refuses vCenter's own
    profiles and profiles in use, each in its outcome."""
    manager = content.profileManager
    datastore = _datastores(si)[0]
    _tag_datastore(sim, datastore, 'zone', 'east')
    made = _create(content, 'zone-east', _rules(_tag_rule('zone', 'east')))
    with pytest.raises(pbm.fault.DuplicateName):
        _create(content, 'zone-east', _rules(_tag_rule('zone', 'east')))
    with pytest.raises(vmodl.fault.InvalidArgument):
        _create(content, 'no-such-category', _rules(_tag_rule('nowhere', 'x')))
    with pytest.raises(vmodl.fault.InvalidArgument):
        _create(content, 'bad-vsan', _rules(pbm.capability.CapabilityInstance(
            id=pbm.capability.CapabilityMetadata.UniqueId(namespace='VSAN', id='stripeWidth'),
            constraint=[pbm.capability.ConstraintInstance(propertyInstance=[
                pbm.capability.PropertyInstance(id='stripeWidth', value=99)])])))
    manager.PbmUpdate(profileId=made, updateSpec=pbm.profile.CapabilityBasedProfileUpdateSpec(
        description='east only', constraints=_rules(_tag_rule('zone', 'east', operator='NOT'))))
    updated = manager.PbmRetrieveContent(profileIds=[made])[0]
    assert (updated.description, updated.generationId) == ('east only', 1)
    # NOT east: the tagged datastore is now the one that does not match
    results = {r.hub.hubId: r for r in content.placementSolver.PbmCheckCompatibility(
        profile=made)}
    assert results[datastore._moId].error and not all(r.error for r in results.values())

    vm = _vm(si, 'DC0_H0_VM1')
    _assign(vm, made.uniqueId)
    unknown = pbm.profile.ProfileId(uniqueId='00000000-0000-0000-0000-000000000000')
    outcomes = manager.PbmDelete(profileId=[made, pbm.profile.ProfileId(uniqueId=VSAN_DEFAULT),
                                            unknown])
    assert [type(o.fault) for o in outcomes] == [
        pbm.fault.ResourceInUse, pbm.fault.PBMFault, pbm.fault.NotFound]
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(vmProfile=[vim.vm.EmptyProfileSpec()])))
    assert manager.PbmQueryAssociatedProfile(entity=_vm_ref(vm)) == []
    (outcome,) = manager.PbmDelete(profileId=[made])
    assert outcome.fault is None
    assert made.uniqueId not in [p.uniqueId for p in manager.PbmQueryProfile(
        resourceType=STORAGE)]


def test_vmfs_rule_follows_disk_provisioning(si, content):
    """A VMFS space-allocation rule: every VMFS datastore is compatible, a
    disk complies only with the provisioning the rule asks for."""
    eager = _create(content, 'eager-zeroed', _rules(_vmfs_rule('Fully initialized'),
                                                    name='VMFS rules'))
    assert not any(r.error for r in content.placementSolver.PbmCheckCompatibility(
        profile=eager))
    vm = _vm(si, 'DC0_H0_VM1')
    disk = _disk(vm)
    _assign(vm, eager.uniqueId, disk)
    thin = bool(getattr(disk.backing, 'thinProvisioned', False))
    eagerly = bool(getattr(disk.backing, 'eagerlyScrub', False))
    expected = 'compliant' if (thin, eagerly) == (False, True) else 'nonCompliant'
    (result,) = content.complianceManager.PbmCheckCompliance(entities=[_disk_ref(vm, disk)])
    assert result.complianceStatus == expected == 'nonCompliant'


def test_requirements_and_faults_of_references(si, content):
    """PbmCheckRequirements takes a profile's id or rules as they are; an
    object that does not exist is PbmFaultNotFound; the VM side refuses a
    profile PBM does not have and a profile on a device that is no disk."""
    solver = content.placementSolver
    everything = solver.PbmCheckRequirements(placementSubjectRequirement=[])
    assert everything and not any(r.error for r in everything)
    vsan = solver.PbmCheckRequirements(placementSubjectRequirement=[
        pbm.placement.CapabilityProfileRequirement(
            profileId=pbm.profile.ProfileId(uniqueId=VSAN_DEFAULT))])
    assert all(r.error for r in vsan)
    with pytest.raises(pbm.fault.NotFound):
        content.profileManager.PbmQueryAssociatedProfile(
            entity=pbm.ServerObjectRef(objectType='virtualMachine', key='vm-999999'))
    results = content.profileManager.PbmQueryAssociatedProfiles(entities=[
        pbm.ServerObjectRef(objectType='virtualDiskId', key='vm-999999:2000')])
    assert isinstance(results[0].fault, pbm.fault.NotFound)
    vm = _vm(si, 'DC0_H0_VM1')
    fault = task_fault(vm.ReconfigVM_Task(vim.vm.ConfigSpec(
        vmProfile=[vim.vm.DefinedProfileSpec(profileId='no-such-policy')])))
    assert isinstance(fault, vmodl.fault.InvalidArgument)
    nic = next(d for d in vm.config.hardware.device
               if isinstance(d, vim.vm.device.VirtualEthernetCard))
    fault = task_fault(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        vim.vm.device.VirtualDeviceSpec(operation='edit', device=nic, profile=[
            vim.vm.DefinedProfileSpec(profileId=VSAN_DEFAULT)])])))
    assert isinstance(fault, vim.fault.InvalidDeviceSpec)


def test_session_is_required(sim, si):
    """Without a vim25 session PBM answers its content only; a call answers
    SecurityError; a session's cookie in the Cookie header serves too."""
    content = pbm_content(sim, 'not-a-session')
    try:
        with pytest.raises(vmodl.fault.SecurityError):
            content.profileManager.PbmQueryProfile(resourceType=STORAGE)
    finally:
        VmomiSupport.GetRequestContext().pop('vcSessionCookie', None)
    stub = SoapStubAdapter(host=sim.host, port=sim.port, version='pbm.version.version11',
                           path='/pbm/sdk', poolSize=0,
                           sslContext=ssl._create_unverified_context())
    stub.cookie = si._stub.cookie
    content = pbm.ServiceInstance('ServiceInstance', stub).RetrieveContent()
    assert content.profileManager.PbmQueryProfile(resourceType=STORAGE)


def test_schema_loads_on_first_use():
    """A simulator's start loads vim25's schema only; PBM's comes with the
    first PBM request."""
    code = ('from vimsim import schema; from vimsim.simulator import Simulator; '
            'from vimsim.testing.server import options_for; Simulator(options_for()); '
            'print(schema._load.cache_info().currsize)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ['1']


JUNK = [  # (operation element, the fault's xsi:type)
    ('<PbmQueryProfile xmlns="urn:pbm"><_this type="PbmProfileProfileManager">ProfileManager'
     '</_this></PbmQueryProfile>', 'vim25:InvalidRequest'),
    ('<PbmQueryProfile xmlns="urn:pbm"><_this type="VirtualMachine">vm-1</_this><resourceType>'
     '<resourceType>STORAGE</resourceType></resourceType></PbmQueryProfile>', 'vim25:InvalidType'),
    ('<PbmCheckCompliance xmlns="urn:pbm"><_this type="PbmProfileProfileManager">ProfileManager'
     '</_this><entities><objectType>virtualMachine</objectType><key>vm-1</key></entities>'
     '</PbmCheckCompliance>', 'vim25:MethodNotFound'),
    ('<PbmCheckCompliance xmlns="urn:pbm"><_this type="PbmComplianceManager">complianceManager'
     '</_this><entities><objectType>host</objectType><key>x</key></entities>'
     '</PbmCheckCompliance>', 'vim25:InvalidArgument'),
    ('<PbmQueryAssociatedProfile xmlns="urn:pbm"><_this type="PbmProfileProfileManager">'
     'ProfileManager</_this><entity><objectType>virtualDiskId</objectType><key>:</key></entity>'
     '</PbmQueryAssociatedProfile>', 'PbmFaultNotFound'),
    ('<PbmFetchVendorInfo xmlns="urn:pbm"><_this type="PbmProfileProfileManager">'
     'ProfileManager</_this></PbmFetchVendorInfo>', 'vim25:NotImplemented'),
]


def test_requests_pbm_cannot_take_answer_faults(sim, si):
    """Raw SOAP: a missing parameter, a reference of another API's type, a
    method of another manager, an unknown kind of object or key, a method
    vimsim lacks, malformed XML: each a fault of PBM's schema (validated),
    never an internal error."""
    answer_faults('https://%s:%d/pbm/sdk' % (sim.host, sim.port), 'urn:pbm/9.1.1.0',
                  si._stub.cookie.split('"')[1], JUNK)


def answer_faults(url, action, cookie, cases, malformed='vim25:InvalidRequest'):
    """POST each (operation element, expected fault xsi:type) of `cases`
    in the vim25 session `cookie`, and malformed XML too (answering
    `malformed`): each answers 500 with a fault of that type in its detail."""
    envelope = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
                '<soapenv:Header><vcSessionCookie>%s</vcSessionCookie></soapenv:Header>'
                '<soapenv:Body>%s</soapenv:Body></soapenv:Envelope>')
    for body, expected in cases + [(None, malformed)]:
        data = b'<<<' if body is None else (envelope % (cookie, body)).encode()
        request = urllib.request.Request(url, data=data, method='POST', headers={
            'SOAPAction': action, 'Content-Type': 'text/xml'})
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(request, context=ssl._create_unverified_context())
        assert raised.value.code == 500
        detail = etree.fromstring(raised.value.read()).find('.//detail')[0]
        assert detail.get('{http://www.w3.org/2001/XMLSchema-instance}type') == expected, body


def test_an_esx_host_has_no_pbm_or_sts(esx):
    """ESXi serves neither PBM nor the STS, vslm or the lookup service:
    404, as for any unknown path."""
    for path in ('/pbm/sdk', '/sts/STSService', '/vslm/sdk', '/lookupservice/sdk'):
        request = urllib.request.Request('http://%s:%d%s' % (esx.host, esx.port, path),
                                         data=b'<x/>', method='POST')
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(request)
        assert raised.value.code == 404


def test_zeep_loads_the_pbm_wsdl(vc_http):
    """A WSDL-driven client (zeep) reads /pbm/sdk/pbmService.wsdl and calls
    PBM with it, in the session of a vim25 cookie."""
    zeep = pytest.importorskip('zeep')
    import requests
    from zeep.transports import Transport
    si = vc_http.connect()
    http = requests.Session()
    http.trust_env = False
    http.cookies.set('vmware_soap_session', si._stub.cookie.split('"')[1])
    try:
        _zeep_calls(zeep, Transport, http, vc_http)
    finally:
        Disconnect(si)


def _zeep_calls(zeep, Transport, http, vc_http):
    base = 'http://%s:%d' % (vc_http.host, vc_http.port)
    client = zeep.Client(base + '/pbm/sdk/pbmService.wsdl', transport=Transport(session=http))
    port = client.wsdl.services['PbmService'].ports['PbmPort']
    service = zeep.proxy.ServiceProxy(client, port.binding, address=base + '/pbm/sdk')
    reference = client.get_type('{urn:vim25}ManagedObjectReference')
    content = service.PbmRetrieveServiceContent(
        _this=reference('ServiceInstance', type='PbmServiceInstance'))
    assert content.aboutInfo.name == 'PBM'
    ids = service.PbmQueryProfile(_this=content.profileManager, resourceType=client.get_type(
        '{urn:pbm}PbmProfileResourceType')(resourceType='STORAGE'))
    names = [p.name for p in service.PbmRetrieveContent(_this=content.profileManager,
                                                         profileIds=ids)]
    assert 'vSAN Default Storage Policy' in names


def test_policies_survive_a_restart_with_state(validator, tmp_path):
    """With -state, profiles made through PBM, their association set by
    ReconfigVM_Task and the compliance last checked are there after a
    restart, with the same ids."""
    from tests.test_state import _start, _stop
    first = _start(validator, tmp_path)
    si = first.connect()
    content = pbm_content(first, si._stub.cookie.split('"')[1])
    try:
        made = _create(content, 'thin', _rules(_vmfs_rule('Conserve space when possible')))
        vm = _vm(si)
        _assign(vm, made.uniqueId)
        (checked,) = content.complianceManager.PbmCheckCompliance(entities=[_vm_ref(vm)])
    finally:
        VmomiSupport.GetRequestContext().pop('vcSessionCookie', None)
    _stop(first)
    second = _start(validator, tmp_path)
    si = second.connect()
    content = pbm_content(second, si._stub.cookie.split('"')[1])
    try:
        (profile,) = content.profileManager.PbmRetrieveContent(profileIds=[made])
        assert profile.name == 'thin'
        assert [p.uniqueId for p in content.profileManager.PbmQueryAssociatedProfile(
            entity=_vm_ref(_vm(si)))] == [made.uniqueId]
        (fetched,) = content.complianceManager.PbmFetchComplianceResult(entities=[_vm_ref(vm)])
        assert (fetched.complianceStatus, fetched.checkTime) == \
            (checked.complianceStatus, checked.checkTime)
    finally:
        VmomiSupport.GetRequestContext().pop('vcSessionCookie', None)
        _stop(second)


def test_default_profiles_are_for_vsan_and_vvol_datastores_only(si, content):
    """PbmAssignDefaultRequirementProfile: a VMFS datastore is a legacy hub,
    after the profile and the datastores are checked."""
    manager = content.profileManager
    hubs = [pbm.placement.PlacementHub(hubType='Datastore', hubId=ds._moId)
            for ds in _datastores(si)]
    vsan = pbm.profile.ProfileId(uniqueId=VSAN_DEFAULT)
    with pytest.raises(pbm.fault.LegacyHubsNotSupported) as raised:
        manager.PbmAssignDefaultRequirementProfile(profile=vsan, datastores=hubs[:2])
    assert [h.hubId for h in raised.value.hubs] == [h.hubId for h in hubs[:2]]
    assert manager.PbmQueryDefaultRequirementProfile(hub=hubs[0]) is None
    with pytest.raises(pbm.fault.NonExistentHubs):
        manager.PbmAssignDefaultRequirementProfile(profile=vsan, datastores=[
            pbm.placement.PlacementHub(hubType='Datastore', hubId='datastore-999')])
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.PbmAssignDefaultRequirementProfile(
            profile=pbm.profile.ProfileId(uniqueId='no-such'), datastores=hubs)


def test_no_datastore_replicates(si, content):
    """PbmQueryReplicationGroups: a result per VM and disk, none in a group;
    a VM not in the inventory gets a NotFound fault in its result."""
    vm = _vm(si)
    disk = next(d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk))
    missing = pbm.ServerObjectRef(objectType='virtualMachine', key='vm-999999')
    results = content.replicationManager.PbmQueryReplicationGroups(entities=[
        pbm.ServerObjectRef(objectType='virtualMachineAndDisks', key=vm._moId), missing])
    assert [(r.object.objectType, r.object.key) for r in results] == [
        ('virtualMachine', vm._moId), ('virtualDiskId', '%s:%d' % (vm._moId, disk.key)),
        ('virtualMachine', 'vm-999999')]
    assert not any(r.fault for r in results[:2])
    assert isinstance(results[2].fault, pbm.fault.NotFound)
    with pytest.raises(vmodl.fault.InvalidArgument):
        content.replicationManager.PbmQueryReplicationGroups(entities=[])
