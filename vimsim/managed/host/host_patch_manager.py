"""HostPatchManager: scanning, staging, installing and removing bulletins
(HostSystem.configManager.patchManager), over a small catalogue of depots.

The simulator reaches no network, so a depot is "reachable" when the last
segment of its URL (an http, https or file URL) names one of DEPOTS' bundle
files, wherever it is served from; a VIB URL names a bulletin's VIB file.
Any other URL is a depot hostd could not download: the V2 methods' tasks end
in PlatformConfigFault with esxupdate's MetadataDownloadError text, the
vSphere 4.0 methods' in PatchMetadataNotFound.

A bulletin is newer or older than the installed image by its build number:
an older one is not applicable (reason `obsoleted`, PatchSuperseded to
InstallHostPatch_Task), one installed is reported installed
(PatchAlreadyInstalled). Installing a bulletin that needs maintenance mode on
a host that is not in it answers InvalidState; staging keeps bulletins for an
install that names no depot. Installed bulletins but the base image can be
removed. Results are HostPatchManagerResult (status per bulletin and
esxupdate's XML answer) and HostPatchManagerStatus.

Not simulated: the reboot a bulletin needs (its status keeps
`restartRequired` and the host runs on) and proxy options, which are only
checked for form.
"""
from collections import namedtuple
from urllib.parse import urlsplit

from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.managed.host.host_image_config_manager import PROFILE
from vimsim.managed.monitoring.task import run_task
from vimsim.soap.fault import InvalidArgument, fault

Bulletin = namedtuple('Bulletin', 'id build vib maintenance restart summary')

INSTALLED_BUILD = 24022510
BASE_IMAGE = Bulletin('ESXi_8.0.3-0.0.24022510', INSTALLED_BUILD, None, True, True,
                      'ESXi 8.0 Update 3 base image')
UPDATE_3B = Bulletin('ESXi_8.0.3-0.35.24280767', 24280767,
                     'VMware_bootbank_esx-base_8.0.3-0.35.24280767.vib', True, True,
                     'ESXi 8.0 Update 3b: security and bug fixes')
UPDATE_2 = Bulletin('ESXi_8.0.2-0.0.22380479', 22380479,
                    'VMware_bootbank_esx-base_8.0.2-0.0.22380479.vib', True, True,
                    'ESXi 8.0 Update 2')
DELL_ISM = Bulletin('DEL-ESX-iSM_5.3.0.0-3339.DEL.800', INSTALLED_BUILD,
                    'DEL_bootbank_dcism_5.3.0.0.ESXi800-3339.vib', False, False,
                    'Dell iDRAC Service Module, installed live')
# bundle file name -> the bulletins it holds
DEPOTS = {'VMware-ESXi-8.0U3b-24280767-depot.zip': (UPDATE_3B,),
          'VMware-ESXi-8.0U2-22380479-depot.zip': (UPDATE_2,),
          'ISM-Dell-Web-5.3.0.0-3339.VIB-ESX8i-Live.zip': (DELL_ISM,)}
VIBS = {bulletin.vib: bulletin for bulletins in DEPOTS.values() for bulletin in bulletins}
SCHEMES = ('http', 'https', 'file')
RESULT_VERSION = '1.40'


def _download_error(url):
    return fault('PlatformConfigFault', 'MetadataDownloadError', text=(
        "MetadataDownloadError: ('%s', None, 'Could not download from depot at %s, "
        "skipping')" % (url, url)))


def _file_name(url):
    """The file a URL names, or None for what is no URL of a known scheme."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in SCHEMES:
        return None
    return parts.path.rsplit('/', 1)[-1]


def _bulletins_at(urls, catalogue, error):
    """The bulletins the depots or VIBs at `urls` hold; `error(url)` for
    the first that is not reachable."""
    found = []
    for url in urls:
        held = catalogue.get(_file_name(url))
        if held is None:
            raise error(url)
        found.extend(held if isinstance(held, tuple) else (held,))
    return found


def _check_spec(spec):
    if spec is not None and spec.port is not None and not 0 < spec.port < 65536:
        raise InvalidArgument('spec.port')


class HostPatchManager(HostManagerObject):
    type_name = 'HostPatchManager'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.installed = {BASE_IMAGE.id: BASE_IMAGE}
        self.staged = {}

    # -- what the host makes of a bulletin ----------------------------------------
    def _applicable(self, bulletin):
        return bulletin.id not in self.installed and bulletin.build >= INSTALLED_BUILD

    def _status(self, bulletin):
        installed = bulletin.id in self.installed
        return self.host.T.HostPatchManagerStatus(
            id=bulletin.id, applicable=self._applicable(bulletin),
            reason=[] if installed or bulletin.build >= INSTALLED_BUILD else ['obsoleted'],
            integrity='validated', installed=installed,
            installState=['imageActive'] if installed and not bulletin.restart else [],
            prerequisitePatch=[], restartRequired=bulletin.restart,
            reconnectRequired=False, vmOffRequired=bulletin.maintenance,
            supersededPatchIds=[])

    def _result(self, bulletins):
        from xml.etree import ElementTree    # not at start: 0.5 MB with pyexpat
        response = ElementTree.Element('esxupdate-response')
        ElementTree.SubElement(response, 'version').text = RESULT_VERSION
        results = ElementTree.SubElement(response, 'bulletin-results')
        for bulletin in bulletins:
            entry = ElementTree.SubElement(results, 'bulletin', id=bulletin.id)
            ElementTree.SubElement(entry, 'summary').text = bulletin.summary
            ElementTree.SubElement(entry, 'installed').text = str(
                bulletin.id in self.installed).lower()
        return self.host.T.HostPatchManagerResult(
            version=RESULT_VERSION, status=[self._status(b) for b in bulletins],
            xmlResult=ElementTree.tostring(response, encoding='unicode'))

    def _sources(self, metaUrls, bundleUrls, vibUrls=()):
        bulletins = _bulletins_at(list(metaUrls) + list(bundleUrls), DEPOTS, _download_error)
        return bulletins + _bulletins_at(vibUrls, VIBS, _download_error)

    def _task(self, ctx, method, work):
        return run_task(ctx, self.host, method, lambda task: work(), this=self)

    def _install(self, bulletins):
        """Install the applicable ones of `bulletins` (all checked first)."""
        applicable = [b for b in bulletins if self._applicable(b)]
        if any(b.maintenance for b in applicable) and not self.host.maintenance:
            raise fault('InvalidState', 'The host must be in maintenance mode to install '
                        '%s.' % ', '.join(b.id for b in applicable if b.maintenance))
        for bulletin in applicable:
            self.installed[bulletin.id] = bulletin
            self.staged.pop(bulletin.id, None)

    # -- vSphere 4.0 and later -------------------------------------------------
    def CheckHostPatch_Task(self, ctx, metaUrls=(), bundleUrls=(), spec=None):
        """Whether the bulletins of the depots apply to the host."""
        _check_spec(spec)
        return self._task(ctx, 'CheckHostPatch_Task',
                          lambda: self._result(self._sources(metaUrls, bundleUrls)))

    def ScanHostPatchV2_Task(self, ctx, metaUrls=(), bundleUrls=(), spec=None):
        _check_spec(spec)
        return self._task(ctx, 'ScanHostPatchV2_Task',
                          lambda: self._result(self._sources(metaUrls, bundleUrls)))

    def StageHostPatch_Task(self, ctx, metaUrls=(), bundleUrls=(), vibUrls=(), spec=None):
        _check_spec(spec)

        def stage():
            bulletins = self._sources(metaUrls, bundleUrls, vibUrls)
            self.staged.update((b.id, b) for b in bulletins if self._applicable(b))
            return self._result(bulletins)
        return self._task(ctx, 'StageHostPatch_Task', stage)

    def InstallHostPatchV2_Task(self, ctx, metaUrls=(), bundleUrls=(), vibUrls=(), spec=None):
        """Install from the depots named, or what was staged when none is."""
        _check_spec(spec)

        def install():
            bulletins = self._sources(metaUrls, bundleUrls, vibUrls) \
                if metaUrls or bundleUrls or vibUrls else list(self.staged.values())
            self._install(bulletins)
            return self._result(bulletins)
        return self._task(ctx, 'InstallHostPatchV2_Task', install)

    def UninstallHostPatch_Task(self, ctx, bulletinIds=(), spec=None):
        _check_spec(spec)

        def uninstall():
            for bulletin_id in bulletinIds:
                if bulletin_id == BASE_IMAGE.id:
                    raise fault('PlatformConfigFault', 'RemoveBaseImageError', text=(
                        'RemoveBaseImageError: cannot remove %s: it is the base image %s'
                        % (bulletin_id, PROFILE[0])))
                if bulletin_id not in self.installed:
                    raise fault('PlatformConfigFault', 'NoMatchError', text=(
                        'NoMatchError: no installed bulletin matches %s' % bulletin_id))
            removed = [self.installed.pop(bulletin_id) for bulletin_id in dict.fromkeys(
                bulletinIds)]
            return self._result(removed)
        return self._task(ctx, 'UninstallHostPatch_Task', uninstall)

    def QueryHostPatch_Task(self, ctx, spec=None):
        """The installed bulletins."""
        _check_spec(spec)
        return self._task(ctx, 'QueryHostPatch_Task',
                          lambda: self._result(list(self.installed.values())))

    # -- vSphere 2.5's methods, by repository and update id --------------------------------
    def _repository(self, repository, update_ids):
        """The bulletins `update_ids` (all when none) of the depot at
        `repository.url`, as vSphere 2.5's methods read it."""
        def not_found(url):
            return fault('PatchMetadataNotFound', 'The patch metadata at %s was not found.'
                         % url, patchID=update_ids[0] if update_ids else '', metaData=[url])
        bulletins = {b.id: b for b in _bulletins_at([repository.url], DEPOTS, not_found)}
        for update_id in update_ids:
            if update_id not in bulletins:
                raise fault('PatchMetadataNotFound', 'The depot at %s has no update %s.'
                            % (repository.url, update_id), patchID=update_id,
                            metaData=[repository.url])
        return [bulletins[i] for i in update_ids] if update_ids else list(bulletins.values())

    def ScanHostPatch_Task(self, ctx, repository, updateID=()):
        update_ids = list(updateID)
        return self._task(ctx, 'ScanHostPatch_Task', lambda: [
            self._status(b) for b in self._repository(repository, update_ids)])

    def InstallHostPatch_Task(self, ctx, repository, updateID, force=False):
        def install():
            bulletin, = self._repository(repository, [updateID])
            if bulletin.id in self.installed and not force:
                raise fault('PatchAlreadyInstalled', 'Update %s is already installed.'
                            % updateID, patchID=updateID)
            if bulletin.build < INSTALLED_BUILD:
                raise fault('PatchSuperseded', 'Update %s is superseded by the installed '
                            'image.' % updateID, patchID=updateID, supersede=[BASE_IMAGE.id])
            self._install([bulletin])
        return self._task(ctx, 'InstallHostPatch_Task', install)
