"""/lookupservice/sdk: the lookup service's SOAP endpoint and its WSDL.

The endpoint is vim25's (`SoapEndpoint`) over the lookup service's schema
(vimsim/wsdl/lookup/, described in tools/gen_wsdl.py: pyVmomi has no types
for it; loaded on the first request) and its objects (service.py). It takes
no vim25 session: reads are anonymous, changes carry an STS token. Faults
the shared machinery raises in vim25's types go out as the lookup schema's
type of the same name (vmodl's core faults, which the lookup service
declares in its own namespace), else SystemError. With -state,
changes are journaled (`lookup` records, vimsim/state) and replayed at the
next start (`replay`).
"""
from vimsim import schema as schema_module
from vimsim.lookup.service import (LookupDeploymentInformationService, LookupL10n,
                                   LookupLookupService, LookupServiceInstance,
                                   LookupServiceRegistration)
from vimsim.server.endpoint import ServedApi, SoapEndpoint, model_endpoint

PATHS = ('/lookupservice/sdk', '/lookupservice')
CHANGES = ('Create', 'Set', 'Delete', 'SetTrustAnchor')


class LookupEndpoint(SoapEndpoint):
    """POST /lookupservice/sdk of one simulator's model."""
    anonymous = True

    def __init__(self, server):
        schema = schema_module.load_api('lookup')
        managers = {
            'lookupService': LookupLookupService(server, schema, 'lookupService'),
            'serviceRegistration': LookupServiceRegistration(server, schema),
            'deploymentInformationService': LookupDeploymentInformationService(
                server, schema, 'deploymentInformationService'),
            'l10n': LookupL10n(server, schema, 'l10n'),
        }
        instance = LookupServiceInstance(server, schema, managers)
        objects = {obj.ref: obj for obj in [instance, *managers.values()]}
        super().__init__(server, schema, objects)

    def session_of(self, request, call):
        return None     # the lookup service knows no vim25 sessions

    def journaled(self, obj, operation, method):
        if operation.name not in CHANGES:
            return method
        return self.journaled_as('lookup', method)

    def own_fault(self, error):
        return self.same_named_fault(error)


class LookupApi(ServedApi):
    """The HTTP side of /lookupservice/sdk: SOAP POSTs, GETs of the WSDL."""

    def __init__(self, simulator):
        super().__init__(simulator, PATHS, schema_module.LOOKUP, 'lookupservice.wsdl',
                         LookupEndpoint)


def replay(simulator, session, version_name, body):
    """Run a journaled lookup service call again (vimsim/state)."""
    model_endpoint(simulator, LookupEndpoint).replay(session, version_name, body)
