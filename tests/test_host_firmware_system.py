"""HostFirmwareSystem as Ansible's vmware_cfg_backup drives it: back up (GET
the bundle at the answered URL, `*` replaced by the host), change the host,
upload the bundle (PUT with Basic credentials), restore in maintenance mode
and read everything back; the host reboots. Bad bundles fault
(InvalidBundle), another host's only with force (MismatchedBundle), and a
factory reset brings back a new host's configuration."""
import io
import json
import re
import tarfile

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator
from tests.test_folder_http import basic, cookie, request
from tests.test_host_datastore_system import host_named
from tests.watching import Watcher, paths_of


@pytest.fixture(scope='module')
def sim(validator):
    """No VM runs: hosts enter maintenance mode at once."""
    return _simulator(validator, tls=False, autostart=False, username='user', password='pass')


def _host(si, name='DC0_H0'):
    return host_named(si, name)


def _path(url):
    """The path of a URL with '*' and the simulator's port for its host (a
    client such as Ansible's vmware_cfg_backup puts its host for '*')."""
    match = re.match(r'http://\*:\d+(/.*)$', url)
    assert match, url
    return match.group(1)


def _backup(sim, si, host):
    url = host.configManager.firmwareSystem.BackupFirmwareConfiguration()
    status, headers, body = request(sim, 'GET', _path(url), headers=cookie(si))
    assert status == 200 and headers['content-type'] == 'application/x-gzip'
    return url, body


def _upload(sim, si, host, data):
    url = host.configManager.firmwareSystem.QueryFirmwareConfigUploadURL()
    return request(sim, 'PUT', _path(url), data, basic('user', 'pass'))[0]


def _bundle(members):
    """A .tgz of (TarInfo, bytes or None)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode='w:gz') as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def _document(body):
    with tarfile.open(fileobj=io.BytesIO(body), mode='r:gz') as tar:
        assert sorted(tar.getnames()) == ['Manifest.txt', 'config.json']
        return json.loads(tar.extractfile('config.json').read())


def _with_document(document):
    return _bundle([(tarfile.TarInfo('config.json'), json.dumps(document).encode())])


def _maintenance(host, on=True):
    if on:
        WaitForTask(host.EnterMaintenanceMode_Task(timeout=60))
    else:
        WaitForTask(host.ExitMaintenanceMode_Task(timeout=60))


def _change(host):
    manager = host.configManager
    manager.networkSystem.AddPortGroup(vim.host.PortGroup.Specification(
        name='restored-away', vlanId=10, vswitchName='vSwitch0',
        policy=vim.host.NetworkPolicy()))
    manager.dateTimeSystem.UpdateDateTimeConfig(vim.host.DateTimeConfig(
        ntpConfig=vim.host.NtpConfig(server=['pool.ntp.org'])))
    manager.serviceSystem.UpdateServicePolicy(id='TSM-SSH', policy='on')
    manager.serviceSystem.StartService(id='TSM-SSH')
    manager.firewallSystem.EnableRuleset(id='httpClient')
    manager.firewallSystem.UpdateRuleset(id='dns', spec=vim.host.Ruleset.RulesetSpec(
        allowedHosts=vim.host.Ruleset.IpList(allIp=False, ipAddress=['10.1.1.1'])))
    manager.advancedOption.UpdateOptions(changedValue=[
        vim.option.OptionValue(key='Config.HostAgent.log.level', value='info')])


def _state(host):
    config = host.config
    return {
        'portgroups': sorted(pg.spec.name for pg in config.network.portgroup),
        'ntp': list(config.dateTimeInfo.ntpConfig.server),
        'ssh': next((s.running, s.policy) for s in config.service.service if s.key == 'TSM-SSH'),
        'httpClient': next(r.enabled for r in config.firewall.ruleset if r.key == 'httpClient'),
        'dns': next(list(r.allowedHosts.ipAddress) for r in config.firewall.ruleset
                    if r.key == 'dns'),
        'log': next(o.value for o in config.option if o.key == 'Config.HostAgent.log.level'),
    }


def test_backup_change_upload_restore(sim, si, other):
    host = _host(si)
    before = _state(host)
    url, body = _backup(sim, si, host)
    assert url.endswith('/configBundle-DC0_H0.tgz') and '/downloads/' in url
    document = _document(body)
    assert document['uuid'] == host.hardware.systemInfo.uuid
    assert document['buildNumber'] == int(si.content.about.build)
    # the URL is the credential: fetched without one, as Ansible's vmware_cfg_backup does
    assert request(sim, 'GET', _path(url))[2] == body

    _change(host)
    changed = _state(host)
    assert changed != before and 'restored-away' in changed['portgroups']

    assert _upload(sim, si, host, body) == 200
    firmware = host.configManager.firmwareSystem
    with pytest.raises(vim.fault.InvalidState):
        firmware.RestoreFirmwareConfiguration(force=False)
    _maintenance(host)
    boot = host.runtime.bootTime
    watcher = Watcher(other, host, vim.HostSystem, ['config.network', 'config.service',
                                                    'runtime.bootTime'])
    firmware.RestoreFirmwareConfiguration(force=False)
    assert _state(host) == before
    assert host.runtime.bootTime > boot
    assert paths_of(watcher.changes(
        until=lambda seen: paths_of(seen) >= {'config.network', 'config.service',
                                              'runtime.bootTime'})) >= {
        'config.network', 'config.service', 'runtime.bootTime'}
    # the upload is taken by the restore
    with pytest.raises(vim.fault.FileFault):
        firmware.RestoreFirmwareConfiguration(force=False)
    _maintenance(host, False)


def test_another_hosts_bundle_needs_force(sim, si):
    source, target = _host(si, 'DC0_C0_H0'), _host(si)
    _, body = _backup(sim, si, source)
    assert _upload(sim, si, target, body) == 200
    _maintenance(target)
    try:
        firmware = target.configManager.firmwareSystem
        with pytest.raises(vim.fault.MismatchedBundle) as raised:
            firmware.RestoreFirmwareConfiguration(force=False)
        assert raised.value.bundleUuid == source.hardware.systemInfo.uuid
        assert raised.value.hostUuid == target.hardware.systemInfo.uuid
        firmware.RestoreFirmwareConfiguration(force=True)
        # the management vmknic's address came with the other host's network
        vmk0 = next(v for v in target.config.network.vnic if v.device == 'vmk0')
        source_vmk0 = next(v for v in source.config.network.vnic if v.device == 'vmk0')
        assert vmk0.spec.ip.ipAddress == source_vmk0.spec.ip.ipAddress
    finally:
        _maintenance(target, False)


def test_bad_bundles_fault(sim, si):
    host = _host(si, 'DC0_C0_H1')
    _, body = _backup(sim, si, host)
    document = _document(body)
    firmware = host.configManager.firmwareSystem
    wrong_type = json.loads(json.dumps(document))
    wrong_type['sections']['dateTime']['protocol'] = 7
    unknown_field = json.loads(json.dumps(document))
    unknown_field['sections']['network']['noSuchField'] = True
    wrong_class = json.loads(json.dumps(document))
    wrong_class['sections']['autoStart']['_type'] = 'HostDateTimeConfig'
    unknown_service = json.loads(json.dumps(document))
    unknown_service['sections']['services'].append({'key': 'evil', 'sim': True,
                                                   'policy': 'on'})
    link = tarfile.TarInfo('config.json')
    link.type, link.linkname = tarfile.SYMTYPE, '/etc/passwd'
    bad = {
        'not gzip': b'not a bundle at all',
        'escaping member': _bundle([(tarfile.TarInfo('../config.json'), b'{}')]),
        'absolute member': _bundle([(tarfile.TarInfo('/config.json'), b'{}')]),
        'link': _bundle([(link, None)]),
        'no document': _bundle([(tarfile.TarInfo('other.txt'), b'x')]),
        'not json': _bundle([(tarfile.TarInfo('config.json'), b'{nope')]),
        'deep json': _bundle([(tarfile.TarInfo('config.json'), b'[' * 100000)]),
        'wrong type': _with_document(wrong_type),
        'unknown field': _with_document(unknown_field),
        'wrong class': _with_document(wrong_class),
        'unknown service': _with_document(unknown_service),
        'no sections': _with_document(dict(document, sections={})),
    }
    _maintenance(host)
    try:
        before, boot = _state(host), host.runtime.bootTime
        for name, data in bad.items():
            assert _upload(sim, si, host, data) == 200, name
            with pytest.raises(vim.fault.InvalidBundle):
                firmware.RestoreFirmwareConfiguration(force=True)
        assert _state(host) == before and host.runtime.bootTime == boot     # nothing applied
    finally:
        _maintenance(host, False)


def test_uploads_are_bounded_and_authenticated(sim, si):
    host = _host(si)
    path = _path(host.configManager.firmwareSystem.QueryFirmwareConfigUploadURL())
    assert request(sim, 'PUT', path, b'x')[0] == 401
    assert request(sim, 'PUT', path, b'x', basic('user', 'wrong'))[0] == 401
    assert request(sim, 'PUT', path, b'x' * (16 << 20 + 1),
                   basic('user', 'pass'))[0] == 413
    assert request(sim, 'GET', path, headers=cookie(si))[0] == 405
    assert request(sim, 'GET', '/downloads/nothing/here/x.tgz')[0] == 404
    url, _ = _backup(sim, si, host)
    stale = _path(url)
    _backup(sim, si, host)                                   # a new backup replaces it
    assert request(sim, 'GET', stale)[0] == 404


def test_factory_reset(sim, si):
    host = _host(si, 'DC0_C0_H2')
    fresh = _state(host)
    _change(host)
    firmware = host.configManager.firmwareSystem
    with pytest.raises(vim.fault.InvalidState):
        firmware.ResetFirmwareToFactoryDefaults()
    _maintenance(host)
    try:
        WaitForTask(host.DisconnectHost_Task())
        with pytest.raises(vmodl.fault.HostNotConnected):     # what the fuzz found
            firmware.ResetFirmwareToFactoryDefaults()
        WaitForTask(host.ReconnectHost_Task())
        firmware.ResetFirmwareToFactoryDefaults()
        assert _state(host) == fresh
    finally:
        _maintenance(host, False)
