"""The lookup service's managed objects: the service instance, the service
registration and the managers its content names.

`LookupServiceRegistration` lists where the simulator's own services are,
at the address it serves (`Simulator.served_at`, else the request's): the
vCenter (vmomi, /sdk), the SSO STS (wsTrust, /sts/STSService/vsphere.local),
the vAPI endpoint (/api) and SPBM (/pbm/sdk), as a vCenter's embedded
lookup service registers them (service types, endpoint types and protocols
as the vSphere Automation SDK's lookup_service_helper looks them up); a
client registers, changes and removes services of its own (Create, Set,
Delete, SetTrustAnchor) and may change or remove the simulator's too. The
own services' URLs are made when read, so they follow the address served.

Reads are anonymous, as the lookup service's are; changes need a SAML token
of the simulator's STS in the request's WS-Security header, of a user who
may change permissions on the root folder (vCenter's administrators, as
SSO's ComponentManager.Administrators): SecurityError otherwise.
"""
import uuid

from vimsim.managed.admin.permissions import user_may
from vimsim.server.endpoint import ApiObject

SITE = 'default-site'
ADMINISTER = 'Authorization.ModifyPermissions'
CIS = 'com.vmware.cis'
# the simulator's own services: (name, product, type, [(protocol, endpoint type, path)])
OWN_SERVICES = [
    ('vcenterserver', CIS, 'vcenterserver', [('vmomi', 'com.vmware.vim', '/sdk')]),
    ('sso', CIS, 'cs.identity', [('wsTrust', 'com.vmware.cis.cs.identity.sso',
                                  '/sts/STSService/vsphere.local')]),
    ('vapi', CIS, 'cs.vapi', [('vapi.json.https.public', 'com.vmware.vapi.endpoint', '/api')]),
    ('sms', 'com.vmware.vim.sms', 'sms', [('https', 'com.vmware.vim.pbm', '/pbm/sdk')]),
]
MUTABLE = ('serviceVersion', 'vendorNameResourceKey', 'vendorNameDefault',
           'vendorProductInfoResourceKey', 'vendorProductInfoDefault', 'serviceEndpoints',
           'serviceAttributes', 'serviceNameResourceKey', 'serviceNameDefault',
           'serviceDescriptionResourceKey', 'serviceDescriptionDefault')


class LookupObject(ApiObject):
    """A lookup service managed object."""

    def fault(self, type_name, message, **fields):
        made = self.T(type_name)(**fields)
        made.args = (message,)
        return made


class LookupServiceInstance(LookupObject):
    type_name = 'LookupServiceInstance'

    def __init__(self, server, schema, managers):
        super().__init__(server, schema, 'ServiceInstance')
        self.content = self.T('LookupServiceContent')(
            **{field: manager.ref for field, manager in managers.items()})

    def RetrieveServiceContent(self, ctx):
        return self.content


class LookupLookupService(LookupObject):
    type_name = 'LookupLookupService'


class LookupDeploymentInformationService(LookupObject):
    type_name = 'LookupDeploymentInformationService'


class LookupL10n(LookupObject):
    type_name = 'LookupL10n'


class LookupServiceRegistration(LookupObject):
    type_name = 'LookupServiceRegistration'

    def __init__(self, server, schema):
        super().__init__(server, schema, 'ServiceRegistration')
        self.added = {}       # service id -> Info: the clients' services and changed own ones
        self.removed = set()  # ids of the simulator's own services deleted

    # -- the registrations ------------------------------------------------------------
    def registrations(self, ctx):
        """Every registration now: the simulator's own (unless removed or
        replaced), then the added ones."""
        own = [info for info in self._own(_base_url(self.server, ctx.request))
               if info.serviceId not in self.removed and info.serviceId not in self.added]
        return own + list(self.added.values())

    def _own(self, base):
        about = self.server.service_instance.content.about
        node = str(uuid.uuid5(uuid.NAMESPACE_URL, 'lookup-node:' + about.instanceUuid))
        owner = self._option('config.vpxd.sso.solutionUser.name')
        T = self.T
        made = []
        for name, product, kind, endpoints in OWN_SERVICES:
            info = T('LookupServiceRegistrationInfo')(
                serviceVersion=about.apiVersion if kind == 'vcenterserver' else '2.0',
                serviceEndpoints=[T('LookupServiceRegistrationEndpoint')(
                    url=base + path, endpointType=T('LookupServiceRegistrationEndpointType')(
                        protocol=protocol, type=endpoint_type))
                    for protocol, endpoint_type, path in endpoints],
                serviceAttributes=[], ownerId=owner, nodeId=node, siteId=SITE,
                serviceType=T('LookupServiceRegistrationServiceType')(product=product,
                                                                      type=kind),
                serviceId=about.instanceUuid if kind == 'vcenterserver' else str(
                    uuid.uuid5(uuid.NAMESPACE_URL, 'lookup:%s:%s' % (about.instanceUuid, name))))
            if kind == 'vcenterserver':
                info.serviceAttributes = [T('LookupServiceRegistrationAttribute')(
                    key=key, value=value) for key, value in (
                    ('com.vmware.cis.cm.GroupInternalId', 'com.vmware.vim.vcenter'),
                    ('com.vmware.vim.vcenter.instanceName',
                     self._option('VirtualCenter.InstanceName')))]
                info.serviceNameResourceKey = info.serviceDescriptionResourceKey = \
                    'AboutInfo.vpx.name'
            elif kind == 'cs.identity':
                info.ownerId = self._option('config.vpxd.sso.default.admin')
                info.nodeId = None      # a platform service: no management node
            made.append(info)
        return made

    def _option(self, key):
        return next((o.value for o in self.server.option_manager.setting if o.key == key), None)

    def _find(self, ctx, service_id):
        found = next((info for info in self.registrations(ctx) if info.serviceId == service_id),
                     None)
        if found is None:
            raise self.fault('LookupFaultEntryNotFoundFault',
                             'Entry with name %s not found' % service_id, name=service_id)
        return found

    def _administrator(self, ctx):
        """SecurityError unless the request carries a token of an
        administrator (a replayed call was checked when it was made)."""
        if ctx.request is None:
            return
        tokens = self.server.token_service
        user = self.server.session_manager.known_user(tokens.user_of(ctx.request.body))
        if user is None or not user_may(self.server, user, self.server.root_folder, ADMINISTER):
            raise self.fault('SecurityError', 'Permission to perform this operation was denied: '
                             'a SAML token of an administrator is required.')

    def _checked(self, ctx, spec, argument):
        """InvalidArgument for a spec lacking what a registration needs."""
        if not spec.serviceVersion:
            raise self._invalid(argument + '.serviceVersion')
        for index, endpoint in enumerate(spec.serviceEndpoints or ()):
            where = '%s.serviceEndpoints[%d]' % (argument, index)
            if not endpoint.url or '://' not in endpoint.url:
                raise self._invalid(where + '.url')
            if endpoint.endpointType is None:
                raise self._invalid(where + '.endpointType')

    def _invalid(self, name):
        return self.fault('InvalidArgument', 'A specified parameter was not correct: %s' % name,
                          invalidProperty=name)

    # -- reading ------------------------------------------------------------------------
    def List(self, ctx, filterCriteria=None):
        """The registrations the filter matches, each with only the endpoints
        its endpoint type matches (none matching: left out). No filter is
        refused as the lookup service refuses it."""
        if filterCriteria is None:
            raise self.fault('SystemError', 'LookupFaultServiceFault', reason='Invalid fault')
        found = []
        for info in self.registrations(ctx):
            endpoints = _matching(info, filterCriteria)
            if endpoints is not None:
                shown = self.T('LookupServiceRegistrationInfo')(
                    **{name: getattr(info, name) for name in info._type._names})
                shown.serviceEndpoints = endpoints
                found.append(shown)
        return found

    def Get(self, ctx, serviceId):
        return self._find(ctx, serviceId)

    def GetSiteId(self, ctx):
        return SITE

    # -- changing -----------------------------------------------------------------------
    def Create(self, ctx, serviceId, createSpec):
        self._administrator(ctx)
        if not serviceId:
            raise self._invalid('serviceId')
        if any(info.serviceId == serviceId for info in self.registrations(ctx)):
            raise self.fault('LookupFaultEntryExistsFault',
                             'Entry with name %s already exists' % serviceId, name=serviceId)
        self._checked(ctx, createSpec, 'createSpec')
        if not createSpec.ownerId:
            raise self._invalid('createSpec.ownerId')
        kind = createSpec.serviceType
        if kind is None or not kind.product or not kind.type:
            raise self._invalid('createSpec.serviceType')
        self.added[serviceId] = self.T('LookupServiceRegistrationInfo')(
            serviceId=serviceId, siteId=SITE,
            **{name: getattr(createSpec, name) for name in createSpec._type._names})

    def Set(self, ctx, serviceId, serviceSpec):
        """The registration's mutable part becomes the spec's."""
        self._administrator(ctx)
        current = self._find(ctx, serviceId)
        self._checked(ctx, serviceSpec, 'serviceSpec')
        changed = self.T('LookupServiceRegistrationInfo')(
            **{name: getattr(current, name) for name in current._type._names})
        for name in MUTABLE:
            setattr(changed, name, getattr(serviceSpec, name))
        self.added[serviceId] = changed

    def Delete(self, ctx, serviceId):
        self._administrator(ctx)
        self._find(ctx, serviceId)
        if self.added.pop(serviceId, None) is None or \
                serviceId in {info.serviceId for info in self._own('')}:
            self.removed.add(serviceId)

    def SetTrustAnchor(self, ctx, filter, trustAnchors):
        """The endpoints the filter matches trust `trustAnchors` now; their count."""
        self._administrator(ctx)
        if not trustAnchors:
            raise self._invalid('trustAnchors')
        count = 0
        for info in self.registrations(ctx):
            endpoints = _matching(info, filter)
            if endpoints:
                for endpoint in endpoints:
                    endpoint.sslTrust = list(trustAnchors)
                self.added[info.serviceId] = info
                count += len(endpoints)
        return count


def _matching(info, criteria):
    """The endpoints of `info` the filter's endpoint type matches (all of
    them without one), or None when the filter does not match `info`."""
    if criteria.siteId and criteria.siteId != info.siteId:
        return None
    if criteria.nodeId and criteria.nodeId != info.nodeId:
        return None
    wanted = criteria.serviceType
    if wanted is not None and not _same(wanted, info.serviceType, ('product', 'type')):
        return None
    endpoints = list(info.serviceEndpoints or ())
    if criteria.endpointType is not None:
        endpoints = [e for e in endpoints
                     if _same(criteria.endpointType, e.endpointType, ('protocol', 'type'))]
        if not endpoints:
            return None
    return endpoints


def _same(wanted, actual, fields):
    """Whether `actual` has every field `wanted` sets."""
    return all(not getattr(wanted, name) or getattr(wanted, name) == getattr(actual, name, None)
               for name in fields)


def _base_url(server, request):
    """Where the simulator serves: its own address, else the request's."""
    if server.served_at:
        return server.served_at
    host = request.headers.get('host', 'localhost') if request is not None else 'localhost'
    secure = request.secure if request is not None else True
    return '%s://%s' % ('https' if secure else 'http', host)
