"""Licensing as Ansible's vcenter_license and govc's license.* use it,
through unmodified pyVmomi: keys added, decoded, labelled and removed;
licenses assigned to the vCenter, hosts and clusters with their product and
capacity rules; a host added with a license; features; and ESX's own license.

A simulator of its own: these tests add licenses and a host.
"""
import itertools

import pytest
from pyVim.connect import Disconnect
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of
from tests.test_hosts import host_spec, result_of, task_error, thumbprint_of
from tests.watching import Watcher
from vimsim.managed.admin.license_editions import EVAL_KEY, decode

EVAL = '00000-00000-00000-00000-00000'


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


def key_of(product, capacity=None, skip=()):
    """A well-formed key that decodes to an edition of `product` (with that
    capacity, if given)."""
    for number in itertools.count():
        key = 'VIMSM-TESTK-%05d-AAAAA-BBBBB' % number
        decoded = decode(key)
        if decoded[0] == product and (capacity is None or decoded[5] == capacity) \
                and key not in skip:
            return key


def licenses(si):
    return {info.licenseKey: info for info in si.content.licenseManager.licenses}


def test_add_decode_label_remove(sim, si):
    manager = si.content.licenseManager
    watcher = sim.connect()
    try:
        watch = Watcher(watcher, manager, vim.LicenseManager, ['licenses'])
        for bad in ('not-a-key', 'AAAAA-BBBBB-CCCCC-DDDDD', 'aaaaa-bbbbb-ccccc-ddddd-eeeee'):
            with pytest.raises(vmodl.fault.InvalidArgument):
                manager.AddLicense(bad)
            with pytest.raises(vmodl.fault.InvalidArgument):
                manager.DecodeLicense(bad)
        key = key_of('esx')
        decoded = manager.DecodeLicense(key)
        assert decoded.editionKey.startswith('esx.') and decoded.costUnit == 'cpuPackage'
        assert key not in licenses(si)                  # decoding adds nothing
        info = manager.AddLicense(key, [vim.KeyValue(key='source', value='ansible')])
        assert info.licenseKey == key and info.total == decoded.total and info.used == 0
        assert [(l.key, l.value) for l in info.labels] == [('source', 'ansible')]
        assert set(licenses(si)) == {EVAL, key} and licenses(si)[EVAL].used is None
        assert any(path == 'licenses' for _, _, path, _, _ in watch.changes())
        assert manager.AddLicense(key).licenseKey == key          # again: the same license
        assert len(si.content.licenseManager.licenses) == 2
        manager.UpdateLicenseLabel(key, 'source', 'govc')
        manager.UpdateLicenseLabel(key, 'owner', 'ops')
        assert {(l.key, l.value) for l in licenses(si)[key].labels} == {
            ('source', 'govc'), ('owner', 'ops')}
        manager.RemoveLicenseLabel(key, 'owner')
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.RemoveLicenseLabel(key, 'owner')
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.UpdateLicenseLabel(key_of('vc'), 'a', 'b')      # not added
        manager.RemoveLicense(key)
        assert set(licenses(si)) == {EVAL}
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.RemoveLicense(EVAL)
    finally:
        Disconnect(watcher)


def test_assignments_follow_products_and_capacity(si):
    manager = si.content.licenseManager
    assignments = manager.licenseAssignmentManager
    hosts = all_of(si, vim.HostSystem)
    vcenter = si.content.about.instanceUuid
    ids = {a.entityId: a for a in assignments.QueryAssignedLicenses()}
    assert vcenter in ids and all(h._moId in ids for h in hosts)
    assert all(a.assignedLicense.licenseKey == EVAL for a in ids.values())
    esx_key, vc_key = key_of('esx', capacity=2), key_of('vc')
    manager.AddLicense(esx_key)
    manager.AddLicense(vc_key)
    with pytest.raises(vmodl.fault.InvalidArgument):               # another product's
        assignments.UpdateAssignedLicense(hosts[0]._moId, vc_key)
    with pytest.raises(vim.fault.LicenseEntityNotFound):
        assignments.UpdateAssignedLicense('host-nowhere', esx_key)
    with pytest.raises(vmodl.fault.InvalidArgument):               # not added
        assignments.UpdateAssignedLicense(hosts[0]._moId, key_of('esx', skip=(esx_key,)))
    info = assignments.UpdateAssignedLicense(hosts[0]._moId, esx_key, 'first host')
    assert info.licenseKey == esx_key and info.used == 2           # its two CPU packages
    [assigned] = assignments.QueryAssignedLicenses(hosts[0]._moId)
    assert assigned.assignedLicense.licenseKey == esx_key
    assert assigned.entityDisplayName == 'first host' and assigned.scope == vcenter
    with pytest.raises(vmodl.fault.InvalidArgument):               # 2 of 2 units used
        assignments.UpdateAssignedLicense(hosts[1]._moId, esx_key)
    with pytest.raises(vmodl.fault.InvalidArgument):               # in use
        manager.RemoveLicense(esx_key)
    assignments.UpdateAssignedLicense(vcenter, vc_key)
    assert licenses(si)[vc_key].used == 1
    features = {f.key for f in manager.QuerySupportedFeatures(hosts[0])}
    assert features == set(decode(esx_key)[4])
    assert manager.CheckLicenseFeature(featureKey='vmotion', host=hosts[0]) is True
    assert manager.CheckLicenseFeature(featureKey='vc', host=hosts[0]) is False
    assert manager.CheckLicenseFeature(featureKey='vc') is True     # the vCenter's own
    assert manager.DisableFeature(featureKey='vmotion', host=hosts[0]) is True
    assert manager.CheckLicenseFeature(featureKey='vmotion', host=hosts[0]) is False
    assert manager.EnableFeature(featureKey='vmotion', host=hosts[0]) is True
    with pytest.raises(vim.fault.InvalidState):
        manager.DisableFeature(featureKey='no-such-feature', host=hosts[0])
    usage = manager.QueryLicenseUsage(hosts[0])
    assert {f.key for f in usage.featureInfo} == features and usage.sourceAvailable
    with pytest.raises(vim.fault.LicenseServerUnavailable):
        manager.ConfigureLicenseSource(
            licenseSource=vim.LicenseServerSource(licenseServer='27000@lic'))
    for entity in (hosts[0]._moId, vcenter):
        assignments.RemoveAssignedLicense(entity)
    assert licenses(si)[esx_key].used == 0
    manager.RemoveLicense(esx_key)
    manager.RemoveLicense(vc_key)


def test_a_host_added_with_a_license(si):
    dc = si.content.rootFolder.childEntity[0]
    manager = si.content.licenseManager
    key = key_of('esx', skip=(key_of('esx', capacity=2),))
    name = 'licensed-esx.example.com'
    spec = host_spec(name, thumbprint_of(dc, name))
    error = task_error(dc.hostFolder.AddStandaloneHost_Task(spec, None, True, license=key))
    assert isinstance(error, vmodl.fault.InvalidArgument)          # not added yet
    manager.AddLicense(key)
    compute = result_of(dc.hostFolder.AddStandaloneHost_Task(spec, None, True, license=key))
    host = compute.host[0]
    [assigned] = manager.licenseAssignmentManager.QueryAssignedLicenses(host._moId)
    assert assigned.assignedLicense.licenseKey == key and licenses(si)[key].used == 2


def test_esx_has_its_own_license(esx):
    si = esx.connect()
    try:
        manager = si.content.licenseManager
        assert manager.licenseAssignmentManager is None
        key = key_of('esx')
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.UpdateLicense(key_of('vc'))
        info = manager.UpdateLicense(key)
        assert info.licenseKey == key and info.used == 2
        assert set(licenses(si)) == {EVAL, key}
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.RemoveLicense(key)                             # the host's
        manager.UpdateLicense(EVAL)
        manager.RemoveLicense(key)
        assert set(licenses(si)) == {EVAL}
    finally:
        Disconnect(si)
