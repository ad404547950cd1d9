"""/vsanHealth: vCenter's vSAN management service, and the
/sdk/vsanServiceVersions.xml that names its versions.

vSAN's stubs (pyVmomi's vsanapiutils, govmomi's vsan client) read the
versions document, then call /vsanHealth with the /sdk session's cookie (the
`vmware_soap_session` cookie, or a `vcSessionCookie` SOAP header) and a
SOAPAction of `urn:vsan/<version>` (or, having found no vSAN version they
know, `urn:vim25/<version>`). The vSAN methods of vCenter's own versions are
in vim25's schema, so this is vim25's endpoint, dispatcher and faults over
the vSAN objects at their well-known moids (vsanapiutils.GetVsanVcMos'),
each of a vSAN version answered at the served vim25 version; the calls read
and change the /sdk model, and their tasks are /sdk's Tasks. Privileges are
demanded on the objects a call names: a parameter's own (System.Read for
VsanClusterGetConfig, on each of VsanGetCapabilities' targets), else the
one the vSAN API reference gives for it (Host.Inventory.EditCluster for
VsanClusterReconfig, System.Read for VsanQueryVcClusterHealthSummary). A vCenter's only: an
ESXi host's vSAN service is /vsan, not simulated. With -state, calls that
may change the model are journaled (`vsan` records) and replayed (`replay`).
"""
import re

from vimsim.managed.admin.permissions import access_of
from vimsim.managed.vsan.base import VsanObject
from vimsim.managed.catalog import vsan_classes
from vimsim.schema import MoRef
from vimsim.server.documents import CONTENT_TYPE, namespace_versions_xml
from vimsim.server.endpoint import NO_CACHE, SoapEndpoint, answer, model_endpoint, \
    soap_action_version
from vimsim.server.http import HttpResponse

PATHS = ('/vsanHealth',)
VERSIONS_PATH = '/sdk/vsanServiceVersions.xml'
# the vSAN versions served (vCenter 8.0 U3's and older), newest first
VERSIONS = ('8.0.0.4', '8.0.0.3', '8.0.0.2', '8.0.0.1', '7.4', '7.3', '7.2', '7.1', '7.0',
            '6.8.7', '6.7', '6.7.0', '6.6.2', '6.6.1', '6.6')
# vsanapiutils.GetVsanVcMos' objects of the types vim25's schema has: moid -> type
OBJECTS = {
    'vsan-disk-management-system': 'VimClusterVsanVcDiskManagementSystem',
    'vsan-stretched-cluster-system': 'VimClusterVsanVcStretchedClusterSystem',
    'vsan-cluster-config-system': 'VsanVcClusterConfigSystem',
    'vsan-performance-manager': 'VsanPerformanceManager',
    'vsan-cluster-health-system': 'VsanVcClusterHealthSystem',
    'vsan-upgrade-systemex': 'VsanUpgradeSystemEx',
    'vsan-cluster-space-report-system': 'VsanSpaceReportSystem',
    'vsan-cluster-object-system': 'VsanObjectSystem',
    'vsan-cluster-iscsi-target-system': 'VsanIscsiTargetSystem',
    'vsan-vcsa-deployer-system': 'VsanVcsaDeployerSystem',
    'vsan-vc-capability-system': 'VsanCapabilitySystem',
}
SIMULATED = {cls.type_name: cls for cls in vsan_classes()}
# what a call needs on the cluster it names where the schema's parameter says nothing
CLUSTER_PRIVILEGES = {'VsanClusterReconfig': 'Host.Inventory.EditCluster',
                      'VsanQueryVcClusterHealthSummary': 'System.Read'}
READS = re.compile('Vsan(Cluster)?(Get|Query)')


class VsanEndpoint(SoapEndpoint):
    """POST /vsanHealth of one simulator's model."""

    def __init__(self, server):
        objects = [SIMULATED.get(type_name, VsanObject)(server, moid, type_name)
                   for moid, type_name in OBJECTS.items() if type_name in server.schema.managed]
        super().__init__(server, objects={obj.ref: obj for obj in objects})

    session_of = SoapEndpoint.vim25_session

    def _version_of(self, action):
        name = soap_action_version(action, 'urn:vsan/')
        if name is None:
            return super()._version_of(action)
        return self.api_version if name in VERSIONS else None

    def authorize(self, ctx, obj, operation, args):
        """The privileges on the entities the call names (the vSAN objects
        are no inventory entities)."""
        access = access_of(ctx)
        if access is None:
            return
        for field in operation.params:
            value = args.get(field.name)
            needed = field.privilege
            if not needed and field.mo_type == 'ClusterComputeResource':
                needed = CLUSTER_PRIVILEGES.get(operation.name)
            for ref in value if isinstance(value, list) else [value]:
                target = ctx.server.objects.get(ref) if isinstance(ref, MoRef) else None
                if needed and target is not None:
                    access.demand(target, needed)

    def journaled(self, obj, operation, method):
        """With -state, a call that may change the model is journaled as a
        `vsan` record; reads by vSAN's naming (Vsan*Get*, Vsan*Query*) are not."""
        if READS.match(operation.name):
            return method
        return self.journaled_as('vsan', method)


class VsanApi:
    """The HTTP side: SOAP POSTs to /vsanHealth, GETs of the versions document."""

    def __init__(self, simulator):
        self.simulator = simulator
        self.versions = namespace_versions_xml('urn:vsan', VERSIONS[0], VERSIONS[1:])

    def handle(self, request):
        path = request.path
        if path not in PATHS and path != VERSIONS_PATH or self.simulator.esx \
                or self.simulator.recording is not None:
            return None
        if request.method == 'POST' and path in PATHS:
            return answer(self.simulator, VsanEndpoint, request)
        if request.method in ('GET', 'HEAD') and path == VERSIONS_PATH:
            return HttpResponse(200, self.versions, headers=[NO_CACHE],
                                content_type=CONTENT_TYPE)
        return None


def replay(simulator, session, version_name, body):
    """Run a journaled vSAN call again (vimsim/state), in `session`."""
    model_endpoint(simulator, VsanEndpoint).replay(session, version_name, body)
