"""/vslm/sdk: vslm's SOAP endpoint and its WSDL.

The endpoint is vim25's (`SoapEndpoint`) over vslm's schema (loaded on the
first request to /vslm/sdk) and vslm's objects (vimsim/vslm/service.py),
its tasks found by moid among vim25's. A call is made in the vim25 session
whose cookie it carries, as PBM's are (govmomi and pyVmomi's samples send
the vim25 session's cookie as the `vcSessionCookie` SOAP header); each call
then takes vim25's privilege checks where it hands the work to /sdk's
manager. Faults are vim25's types in vslm's copy of them. With -state,
calls that may change disks are journaled (`vslm` records, vimsim/state)
and replayed at the next start (`replay`).
"""
import re

from vimsim import schema as schema_module
from vimsim.managed.admin.permissions import access_of
from vimsim.managed.service.property_collector import ANONYMOUS
from vimsim.server.endpoint import ServedApi, SoapEndpoint, model_endpoint
from vimsim.vslm.service import (VslmServiceInstance, VslmSessionManager,
                                 VslmStorageLifecycleManager, VslmTask,
                                 VslmVStorageObjectManager)
from vimsim.vslm.translate import translated

PATHS = ('/vslm/sdk', '/vslm')
READS = re.compile('(Vslm(Query|Retrieve|List)|RetrieveContent)')


class VslmObjects(dict):
    """vslm's objects by reference: its own, and a VslmTask for each vim25
    Task (of the same moid), made when first named."""

    def __init__(self, server, schema, objects):
        super().__init__((obj.ref, obj) for obj in objects)
        self.server = server
        self.schema = schema

    def get(self, ref, default=None):
        found = super().get(ref)
        if found is None and getattr(ref, 'type', None) == 'VslmTask':
            task = self.server.objects.get(schema_module.MoRef('Task', ref.value))
            if task is not None:
                found = self[ref] = VslmTask(self.server, self.schema, task)
        return default if found is None else found


class VslmEndpoint(SoapEndpoint):
    """POST /vslm/sdk of one simulator's model."""

    def __init__(self, server):
        schema = schema_module.load_api('vslm')
        managers = {
            'sessionManager': VslmSessionManager(server, schema, 'SessionManager'),
            'vStorageObjectManager': VslmVStorageObjectManager(
                server, schema, 'VStorageObjectManager'),
            'storageLifecycleManager': VslmStorageLifecycleManager(
                server, schema, 'StorageLifecycleManager'),
        }
        instance = VslmServiceInstance(server, schema, managers)
        super().__init__(server, schema,
                         VslmObjects(server, schema, [instance, *managers.values()]))

    session_of = SoapEndpoint.vim25_session

    def authorize(self, ctx, obj, operation, args):
        """The method's privilege on the root folder (vslm's objects are no
        inventory entities), System.View where vslm names none, as vim25's
        VStorageObjectManager needs; a call handed to vim25 is checked there
        again, as /sdk checks it."""
        access = access_of(ctx)
        if access is not None and operation.privilege != ANONYMOUS:
            access.demand(ctx.server.root_folder, operation.privilege or 'System.View')

    def journaled(self, obj, operation, method):
        if READS.match(operation.name):
            return method
        return self.journaled_as('vslm', method)

    def own_fault(self, error):
        return translated(error, self.schema)


class VslmApi(ServedApi):
    """The HTTP side of /vslm/sdk: SOAP POSTs, GETs of the WSDL."""

    def __init__(self, simulator):
        super().__init__(simulator, PATHS, schema_module.VSLM, 'vslmService.wsdl', VslmEndpoint)


def replay(simulator, session, version_name, body):
    """Run a journaled vslm call again (vimsim/state), in `session`."""
    model_endpoint(simulator, VslmEndpoint).replay(session, version_name, body)
