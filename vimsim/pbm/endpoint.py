"""/pbm/sdk: PBM's SOAP endpoint and its WSDL.

The endpoint is vim25's (`SoapEndpoint`) over PBM's schema (loaded on the
first request to /pbm/sdk) and PBM's objects. A call is made in the vim25
session whose cookie the request carries, as pyVmomi's PBM samples send it:
a `vcSessionCookie` SOAP header, or the `vmware_soap_session` cookie; the
session's user needs the method's privilege (StorageProfile.View or
.Update) on the root folder. Faults the shared machinery raises in vim25's
types go out as PBM's own type of the same name (vmodl's core faults), a
NotAuthenticated as SecurityError, a NoPermission as PbmFaultNoPermission.
With -state, calls that may change what PBM keeps are journaled (`pbm`
records, vimsim/state) and replayed at the next start (`replay`).
"""
import re

from vimsim import schema as schema_module
from vimsim.managed.admin.permissions import access_of
from vimsim.managed.service.property_collector import ANONYMOUS
from vimsim.pbm.service import (PbmCapabilityMetadataManager, PbmComplianceManager,
                                PbmPlacementSolver, PbmProfileProfileManager,
                                PbmReplicationManager, PbmServiceInstance, PbmSessionManager)
from vimsim.server.endpoint import ServedApi, SoapEndpoint, model_endpoint

PATHS = ('/pbm/sdk', '/pbm')
READS = re.compile('Pbm(Query|Retrieve|Fetch|CheckCompatibility|CheckRequirements)')
# vim25 faults of the shared machinery that PBM's schema has no type of
STAND_INS = {'NotAuthenticated': 'SecurityError', 'NoPermission': 'PbmFaultNoPermission'}


class PbmEndpoint(SoapEndpoint):
    """POST /pbm/sdk of one simulator's model."""

    def __init__(self, server):
        schema = schema_module.load_api('pbm')
        managers = {
            'sessionManager': PbmSessionManager(server, 'SessionManager'),
            'capabilityMetadataManager': PbmCapabilityMetadataManager(
                server, 'CapabilityMetadataManager'),
            'profileManager': PbmProfileProfileManager(server, 'ProfileManager'),
            'complianceManager': PbmComplianceManager(server, 'complianceManager'),
            'placementSolver': PbmPlacementSolver(server, 'placementSolver'),
            'replicationManager': PbmReplicationManager(server, 'ReplicationManager'),
        }
        instance = PbmServiceInstance(server, managers)
        objects = {obj.ref: obj for obj in [instance, *managers.values()]}
        super().__init__(server, schema, objects)

    session_of = SoapEndpoint.vim25_session

    def authorize(self, ctx, obj, operation, args):
        """The method's privilege on the root folder (PBM's objects are no
        inventory entities)."""
        access = access_of(ctx)
        privilege = operation.privilege
        if access is None or not privilege or privilege == ANONYMOUS:
            return
        root = ctx.server.root_folder
        if not access.may(root, privilege):
            T = self.schema.types
            raise ctx.server.storage_policies.fault(
                'PbmFaultNoPermission', 'Permission to perform this operation was denied.',
                missingPrivileges=[T['PbmFaultNoPermissionEntityPrivileges'].cls(
                    profileId=None, privilegeIds=[privilege])])

    def journaled(self, obj, operation, method):
        """With -state, a call that may change what is kept (profiles, the
        compliance last checked) is journaled as a `pbm` record; reads by
        PBM's naming (PbmQuery*, PbmRetrieve*, PbmFetch*) and the placement
        checks are not."""
        if READS.match(operation.name):
            return method
        return self.journaled_as('pbm', method)

    def own_fault(self, error):
        return self.same_named_fault(error, STAND_INS)


class PbmApi(ServedApi):
    """The HTTP side of /pbm/sdk: SOAP POSTs, GETs of the WSDL."""

    def __init__(self, simulator):
        super().__init__(simulator, PATHS, schema_module.PBM, 'pbmService.wsdl', PbmEndpoint)


def replay(simulator, session, version_name, body):
    """Run a journaled PBM call again (vimsim/state), in `session`."""
    model_endpoint(simulator, PbmEndpoint).replay(session, version_name, body)
