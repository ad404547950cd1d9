"""CryptoManagerKmip (vCenter) and CryptoManager (a standalone host): the key
management of VM encryption.

The simulator is the KMS. A key provider (KMS cluster) is registered with
its KMIP servers; the keys it holds outlive its registration (a real KMS
does not forget keys when vCenter does), so a provider registered again
under the same id serves its old keys. GenerateKey makes a key in the
provider's store: its id a uuid, its 32 bytes of material (derived from
the id, so a -state journal replays into the same keys) never leave the
manager. vCenter's own key list (AddKey, ListKeys, RemoveKey)
holds the keys it generated or was given; a host's key cache is the same
list on its CryptoManagerHost (host/crypto_manager_host.py).

A key is usable (`key_available`) while vCenter can get it: from its
provider (registered, with a server or managed by Trust Authority) or from
its own list. Unregistering a provider, or removing a key with force, locks
the VMs it encrypts (vm/vm_encryption.py); CryptoUnlock_Task unlocks them
once the key is available again.

Certificates are real X.509 (`cryptography`, imported on first use as the
other certificate code does): the client's (self-signed, a CSR the KMS
signs, or one uploaded with its key), and each KMIP server's, which the
simulated KMS makes on first contact and vCenter trusts once uploaded. The
keys vimsim makes are Ed25519, seeded from the model's uuids, as the VMCA's
(admin/certificate_manager.py): deterministic, so they replay.
Native key providers are created through the vAPI REST service in vCenter
8.0, not this API; RegisterKmsCluster registers Trust Authority's (trusted)
providers, as vCenter does.
"""
import datetime
import hashlib

from vimsim import clock
from vimsim.managed.admin.crypto_keys import OPERATION_EVENT, KeyList, crypto_key_id, key_of
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.monitoring.event_manager import EXTENDED, event_manager
from vimsim.managed.monitoring.task import run_task
from vimsim.soap.fault import InvalidArgument, NotFound, fault

KEY_BYTES = 32                     # AES-256 key material
CERT_DAYS = 3650
MAX_ADDRESS = 255                  # a host name's length at most
MAX_NAME_PART = 64                 # an X.509 name attribute's (RFC 5280 upper bounds)
VCENTER = 'vCenter'
TRUST_AUTHORITY = 'trustAuthority'
# ListKmsClusters' managementTypeFilter bits, per management type
TYPE_BITS = {VCENTER: 0x01, TRUST_AUTHORITY: 0x02, 'nativeProvider': 0x08}
ACTIVE_BIT, INACTIVE_BIT = 0x01, 0x02          # its statusFilter bits
# QueryCryptoKeyStatus' checkKeyBitMap bits
CHECK_AVAILABLE, CHECK_VMS, CHECK_HOSTS, CHECK_OTHER = 0x01, 0x02, 0x04, 0x08


def _provider_id(value, name='clusterId'):
    if value is None or not value.id:
        raise InvalidArgument(name)
    return value.id


class Provider:
    """A key provider (KMS cluster) as vCenter registered it."""

    def __init__(self, provider_id, management_type):
        self.id = provider_id
        self.management_type = management_type
        self.servers = {}             # name -> KmipServerInfo
        self.passwords = {}           # name -> the password vCenter logs in with
        self.default_key_type = None
        self.entity_defaults = []     # MoRefs of entities it is the default of
        self.client_cert = None       # PEM of vCenter's client certificate
        self.client_key = None        # its private key (PEM)
        self.self_signed = None       # (certificate PEM, key PEM) generated, not yet in use
        self.csr = None               # (CSR PEM, key PEM) awaiting the KMS's signature
        self.trusted = []             # server certificates vCenter trusts (PEM)

    @property
    def active(self):
        """vCenter can reach it: a KMIP server, or Trust Authority's."""
        return bool(self.servers) or self.management_type == TRUST_AUTHORITY


@manager_type('CryptoManagerKmip', 'CryptoManager')
class CryptoManager(KeyList, Manager):
    """vCenter's CryptoManagerKmip; on a standalone host, the CryptoManager
    ServiceContent lists, which is the host's key cache (its
    CryptoManagerHost's state and keys)."""

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self._keys = {}               # key -> material vCenter was given (None: a KMS key)
        self._enabled = type_name == 'CryptoManagerKmip'
        self.providers = {}           # id -> Provider, in registration order
        self.default_provider = None  # id of the default provider
        self.kms = {}                 # the simulated KMS: provider id -> {key id: KmsKey}
        self.server_certs = {}        # (provider id, server name) -> (cert PEM, key)

    def _host_cache(self):
        """A standalone host's CryptoManagerHost (None on vCenter)."""
        if self.type_name == 'CryptoManagerKmip':
            return None
        return next((host.managers.get('cryptoManager') for host in self._all('HostSystem')),
                    None)

    @property
    def enabled(self):
        cache = self._host_cache()
        return cache.enabled if cache is not None else self._enabled

    @enabled.setter
    def enabled(self, value):
        """A recording's value (a standalone host's is its cache's, on read)."""
        self._enabled = bool(value)

    @property
    def key_list(self):
        cache = self._host_cache()
        return cache.key_list if cache is not None else self._keys

    # -- the model's questions ---------------------------------------------------------
    def key_available(self, key):
        """Whether vCenter can get `key` ((provider, key id)) now: from its
        provider's KMS, or from its own list."""
        provider_id, key_id = key
        provider = self.providers.get(provider_id)
        if provider is not None and provider.active and key_id in self.kms.get(
                provider_id, {}):
            return True
        return self.key_list.get(key) is not None

    def check_usable(self, key_id, name='cryptoKeyId'):
        """The key of a CryptoKeyId a spec names, which must be available:
        InvalidArgument(name) otherwise. For VM encryption and the first
        class disks' UpdateVStorageObjectCrypto_Task."""
        try:
            key = key_of(key_id)
        except self.T.MethodFault:
            raise InvalidArgument(name) from None
        if not self.key_available(key):
            raise InvalidArgument(name, "The key '%s' is not available." % key[1])
        return key

    def hand_out(self, keys):
        """vCenter gives a host `keys`: it tracks each one it hands out."""
        for key in keys:
            self.key_list.setdefault(key, None)

    def default_for(self, entity):
        """The id of the default provider of an entity (its own, else its
        ancestors', else the global default), or None."""
        while entity is not None:
            for provider in self.providers.values():
                if entity.ref in provider.entity_defaults:
                    return provider.id
            entity = entity.parent_object() if hasattr(entity, 'parent_object') else None
        return self.default_provider

    def new_key(self, provider_id, key_type=None, attributes=None):
        """A key the KMS of `provider_id` generates: (provider id, key id)."""
        provider = self.providers.get(provider_id)
        if provider is None:
            raise InvalidArgument('keyProvider')
        if not provider.active:
            raise fault('InvalidState', "The key provider '%s' is not active." % provider_id)
        key_id = self.server.new_uuid()
        self.kms.setdefault(provider_id, {})[key_id] = KmsKey(
            '%s/%s' % (provider_id, key_id), key_type or provider.default_key_type, attributes)
        self.key_list[(provider_id, key_id)] = None
        return provider_id, key_id

    def key_users(self, key):
        cache = self._host_cache()
        if cache is not None:
            return cache.key_users(key)
        return self.encrypted_vms(key) + self.keyed_hosts(key)

    def _all(self, type_name):
        return self.server.objects.of_type(type_name)

    def encrypted_vms(self, key):
        """The VMs whose home or a disk `key` encrypts."""
        return [vm for vm in self._all('VirtualMachine')
                if key in getattr(vm, 'crypto_keys', lambda: ())()]

    def keyed_hosts(self, key):
        """The hosts whose host key is `key`."""
        return [host for host in self._all('HostSystem')
                if getattr(host.managers.get('cryptoManager'), 'host_key', None) == key]

    def forget(self, keys):
        """A forced removal: the hosts lose the keys too; their VMs lock."""
        for host in self._all('HostSystem'):
            cache = host.managers.get('cryptoManager')
            cached = getattr(cache, 'key_list', {})
            if any(key in cached for key in keys):
                for key in keys:
                    cached.pop(key, None)
                cache.keys_changed()
        self._lock([vm for key in keys for vm in self.encrypted_vms(key)])

    def _lock(self, vms):
        for vm in vms:
            if not vm.crypto_locked:
                vm.crypto_locked = True
                vm.report_changed('runtime', 'summary')

    def keys_changed(self):
        cache = self._host_cache()
        if cache is not None:
            cache.keys_changed()

    # -- providers and servers -----------------------------------------------------------
    def _provider(self, value, name='clusterId'):
        provider = self.providers.get(_provider_id(value, name))
        if provider is None:
            raise NotFound("The key provider '%s' could not be found." % value.id)
        return provider

    def _check_server(self, spec):
        _provider_id(spec.clusterId, 'server.clusterId')
        info = spec.info
        if info is None or not info.name:
            raise InvalidArgument('server.info.name')
        if not info.address or len(info.address) > MAX_ADDRESS or any(
                c.isspace() for c in info.address):
            raise InvalidArgument('server.info.address')
        if info.port is None or not 0 < info.port < 65536:
            raise InvalidArgument('server.info.port')
        if info.proxyPort is not None and not 0 < info.proxyPort < 65536:
            raise InvalidArgument('server.info.proxyPort')
        if spec.defaultKeyType is not None and spec.defaultKeyType not in \
                self.server.schema.enums['KmipClusterInfoKeyType'].values:
            raise InvalidArgument('server.defaultKeyType')

    def RegisterKmipServer(self, ctx, server):
        self._check_server(server)
        provider = self.providers.get(server.clusterId.id)
        if provider is None:
            provider = Provider(server.clusterId.id, VCENTER)
        elif provider.management_type != VCENTER:
            raise InvalidArgument('server.clusterId')
        if server.info.name in provider.servers:
            raise fault('AlreadyExists', "The KMIP server '%s' already exists."
                        % server.info.name, name=server.info.name)
        self._set_server(provider, server)
        if provider.id not in self.providers:
            self.providers[provider.id] = provider
            if self.default_provider is None:    # the first becomes the default
                self.default_provider = provider.id
        self._report(ctx, 'registered KMIP server %s of key provider %s'
                     % (server.info.name, provider.id))

    def _set_server(self, provider, spec):
        provider.servers[spec.info.name] = spec.info
        if spec.password is not None:
            provider.passwords[spec.info.name] = spec.password
        if spec.defaultKeyType is not None:
            provider.default_key_type = spec.defaultKeyType

    def UpdateKmipServer(self, ctx, server):
        self._check_server(server)
        provider = self._provider(server.clusterId, 'server.clusterId')
        if server.info.name not in provider.servers:
            raise NotFound("The KMIP server '%s' could not be found." % server.info.name)
        self._set_server(provider, server)
        self.server_certs.pop((provider.id, server.info.name), None)   # it may be another
        self._report(ctx, 'updated KMIP server %s of key provider %s'
                     % (server.info.name, provider.id))

    def RemoveKmipServer(self, ctx, clusterId, serverName):
        provider = self._provider(clusterId)
        if serverName not in provider.servers:
            raise NotFound("The KMIP server '%s' could not be found." % serverName)
        del provider.servers[serverName]
        provider.passwords.pop(serverName, None)
        self._report(ctx, 'removed KMIP server %s of key provider %s'
                     % (serverName, provider.id))

    def RegisterKmsCluster(self, ctx, clusterId, managementType=None):
        provider_id = _provider_id(clusterId)
        if managementType != TRUST_AUTHORITY:
            raise InvalidArgument('managementType')
        if provider_id in self.providers:
            raise fault('AlreadyExists', "The key provider '%s' already exists." % provider_id,
                        name=provider_id)
        self.providers[provider_id] = Provider(provider_id, managementType)
        self._report(ctx, 'registered key provider %s' % provider_id)

    def UnregisterKmsCluster(self, ctx, clusterId):
        provider = self._provider(clusterId)
        del self.providers[provider.id]
        if self.default_provider == provider.id:
            self.default_provider = None
        self._lock([vm for vm in self._all('VirtualMachine')
                    if any(key[0] == provider.id and not self.key_available(key)
                           for key in vm.crypto_keys())])
        self._report(ctx, 'unregistered key provider %s' % provider.id)

    def _report(self, ctx, message):
        self.changed('kmipServers')
        event_manager(self.server).post(
            'EventEx', None, ctx=ctx, eventTypeId=OPERATION_EVENT,
            severity=EXTENDED[OPERATION_EVENT][1], message=message, arguments=[
                self.T.KeyAnyValue(key='operation', value=message)])

    # -- defaults --------------------------------------------------------------------------
    def MarkDefault(self, ctx, clusterId):
        self.default_provider = self._provider(clusterId).id
        self.changed('kmipServers')

    def SetDefaultKmsCluster(self, ctx, entity=None, clusterId=None):
        target = self.server.objects.resolve(entity) if entity is not None else None
        if target is not None and target.type_name not in ('HostSystem',
                                                            'ClusterComputeResource'):
            raise InvalidArgument('entity')
        provider = self._provider(clusterId) if clusterId is not None else None
        if target is None:
            self.default_provider = provider.id if provider is not None else None
        else:
            for each in self.providers.values():
                if target.ref in each.entity_defaults:
                    each.entity_defaults.remove(target.ref)
            if provider is not None:
                provider.entity_defaults.append(target.ref)
        self.changed('kmipServers')

    def GetDefaultKmsCluster(self, ctx, entity=None, defaultsToParent=None):
        if entity is None:
            found = self.default_provider
        else:
            target = self.server.objects.resolve(entity)
            if defaultsToParent:
                found = self.default_for(target)
            else:
                found = next((p.id for p in self.providers.values()
                              if target.ref in p.entity_defaults), None)
        return self.T.KeyProviderId(id=found) if found is not None else None

    def IsKmsClusterActive(self, ctx, cluster=None):
        provider = self.providers.get(_provider_id(cluster, 'cluster'))
        if provider is None:
            raise InvalidArgument('cluster')
        return provider.active

    # -- listing -----------------------------------------------------------------------------
    @property
    def kmipServers(self):
        if self.type_name != 'CryptoManagerKmip':
            raise AttributeError('kmipServers')
        return [self._info(provider, True) for provider in self.providers.values()]

    @kmipServers.setter
    def kmipServers(self, clusters):
        """The key providers of a recording (a recorded vCenter's)."""
        self.providers, self.default_provider = {}, None
        for info in clusters or ():
            provider = self.providers[info.clusterId.id] = Provider(
                info.clusterId.id, info.managementType or VCENTER)
            provider.servers = {server.name: server for server in info.servers}
            provider.entity_defaults = list(info.useAsEntityDefault)
            provider.default_key_type = info.defaultKeyType
            if info.useAsDefault:
                self.default_provider = provider.id

    def _info(self, provider, servers):
        return self.T.KmipClusterInfo(
            clusterId=self.T.KeyProviderId(id=provider.id),
            servers=list(provider.servers.values()) if servers else [],
            useAsDefault=provider.id == self.default_provider,
            managementType=provider.management_type,
            useAsEntityDefault=list(provider.entity_defaults),
            defaultKeyType=provider.default_key_type)

    def ListKmipServers(self, ctx, limit=None):
        if limit is not None and limit < 0:
            raise InvalidArgument('limit')
        return [self._info(p, True) for p in list(self.providers.values())[:limit]]

    def ListKmsClusters(self, ctx, includeKmsServers=None, managementTypeFilter=None,
                        statusFilter=None):
        every = managementTypeFilter is None or managementTypeFilter == -1
        any_status = statusFilter is None or statusFilter == -1
        return [self._info(p, bool(includeKmsServers)) for p in self.providers.values()
                if (every or TYPE_BITS.get(p.management_type, 0) & managementTypeFilter)
                and (any_status or (ACTIVE_BIT if p.active else INACTIVE_BIT) & statusFilter)]

    def RetrieveKmipServersStatus_Task(self, ctx, clusters=()):
        asked = [(self._provider(c.clusterId, 'clusters.clusterId'),
                  [s.name for s in c.servers] if c.servers else None) for c in clusters] \
            or [(p, None) for p in self.providers.values()]

        def work(task):
            return [self._status(provider, names) for provider, names in asked]
        return run_task(ctx, None, 'RetrieveKmipServersStatus_Task', work, this=self)

    def _status(self, provider, names):
        T = self.T
        servers = []
        for name in names if names is not None else provider.servers:
            info = provider.servers.get(name)
            if info is None:
                servers.append(T.CryptoManagerKmipServerStatus(
                    name=name, status='red', connectionStatus='NOT_CONNECTED'))
                continue
            pem = self._server_certificate(provider, name)
            trusted = pem in provider.trusted
            servers.append(T.CryptoManagerKmipServerStatus(
                name=name, status='green' if trusted and provider.client_cert else 'yellow',
                connectionStatus='CONNECTED' if trusted and provider.client_cert
                else 'NOT_CONNECTED', certInfo=certificate_info(T, pem),
                clientTrustServer=trusted, serverTrustClient=provider.client_cert is not None))
        colours = [s.status for s in servers]
        overall = 'gray' if not colours else 'green' if set(colours) == {'green'} else \
            'red' if set(colours) == {'red'} else 'yellow'
        return T.CryptoManagerKmipClusterStatus(
            clusterId=T.KeyProviderId(id=provider.id), overallStatus=overall,
            managementType=provider.management_type, servers=servers,
            clientCertInfo=certificate_info(T, provider.client_cert)
            if provider.client_cert else None)

    # -- certificates ----------------------------------------------------------------------
    def _server_certificate(self, provider, name):
        """The certificate a KMIP server presents, made on first contact."""
        made = self.server_certs.get((provider.id, name))
        if made is None:
            info = provider.servers[name]
            made = self.server_certs[(provider.id, name)] = self_signed(
                self.server.new_uuid(), {'commonName': info.address[:MAX_NAME_PART],
                                         'organization': 'vimsim KMS'})
        return made[0]

    def RetrieveKmipServerCert(self, ctx, keyProvider, server):
        provider = self._provider(keyProvider, 'keyProvider')
        if server is None or server.name not in provider.servers:
            raise InvalidArgument('server')
        pem = self._server_certificate(provider, server.name)
        return self.T.CryptoManagerKmipServerCertInfo(
            certificate=pem, certInfo=certificate_info(self.T, pem),
            clientTrustServer=pem in provider.trusted)

    def UploadKmipServerCert(self, ctx, cluster, certificate):
        provider = self._provider(cluster, 'cluster')
        load_certificate(certificate, 'certificate')
        if certificate not in provider.trusted:
            provider.trusted.append(certificate)
        self._report(ctx, 'trusted a KMIP server certificate of key provider %s' % provider.id)

    def GenerateSelfSignedClientCert(self, ctx, cluster, request=None):
        provider = self._provider(cluster, 'cluster')
        provider.self_signed = self_signed(self.server.new_uuid(), _subject(request))
        return provider.self_signed[0]

    def RetrieveSelfSignedClientCert(self, ctx, cluster):
        provider = self._provider(cluster, 'cluster')
        return provider.self_signed[0] if provider.self_signed else ''

    def UpdateSelfSignedClientCert(self, ctx, cluster, certificate):
        """Make the self-signed certificate generated for the provider (its
        key kept) the client certificate."""
        provider = self._provider(cluster, 'cluster')
        self._use_client_cert(ctx, provider, certificate, provider.self_signed)

    def GenerateClientCsr(self, ctx, cluster, request=None):
        provider = self._provider(cluster, 'cluster')
        provider.csr = signing_request(self.server.new_uuid(), _subject(request))
        return provider.csr[0]

    def RetrieveClientCsr(self, ctx, cluster):
        provider = self._provider(cluster, 'cluster')
        return provider.csr[0] if provider.csr else ''

    def UpdateKmsSignedCsrClientCert(self, ctx, cluster, certificate):
        """The KMS signed the CSR: its certificate, for the CSR's key."""
        provider = self._provider(cluster, 'cluster')
        self._use_client_cert(ctx, provider, certificate, provider.csr)

    def _use_client_cert(self, ctx, provider, certificate, pending):
        """The client certificate becomes `certificate`, which must be of the
        key of `pending` ((PEM, key PEM) generated here, or None)."""
        if pending is None or not _same_key(certificate, pending[1]):
            raise InvalidArgument('certificate')
        provider.client_cert, provider.client_key = certificate, pending[1]
        self._report(ctx, 'updated the client certificate of key provider %s' % provider.id)

    def UploadClientCert(self, ctx, cluster, certificate, privateKey):
        provider = self._provider(cluster, 'cluster')
        if not _same_key(certificate, privateKey, key_name='privateKey'):
            raise InvalidArgument('privateKey')
        provider.client_cert, provider.client_key = certificate, privateKey
        self._report(ctx, 'uploaded the client certificate of key provider %s' % provider.id)

    def RetrieveClientCert(self, ctx, cluster):
        return self._provider(cluster, 'cluster').client_cert or ''

    # -- keys ----------------------------------------------------------------------------------
    def GenerateKey(self, ctx, keyProvider=None, spec=None, keySpec=None):
        provider_id = _provider_id(keyProvider, 'keyProvider') if keyProvider is not None \
            else self.default_provider
        if provider_id is None:
            raise fault('InvalidState', 'No default key provider is set.')
        key_type = keySpec.keyType if keySpec is not None else None
        if key_type is not None and key_type not in \
                self.server.schema.enums['KmipClusterInfoKeyType'].values:
            raise InvalidArgument('keySpec.keyType')
        key = self.new_key(provider_id, key_type, _attributes(spec))
        return self.T.CryptoKeyResult(keyId=crypto_key_id(self.T, key), success=True)

    def SetKeyCustomAttributes(self, ctx, keyId, spec):
        provider_id, key_id = key_of(keyId)
        stored = self.kms.get(provider_id, {}).get(key_id)
        provider = self.providers.get(provider_id)
        if stored is None or provider is None or not provider.active:
            return self.T.CryptoKeyResult(keyId=keyId, success=False,
                                          reason='KeyStateMissingInKMS')
        stored.attributes.update(_attributes(spec))
        return self.T.CryptoKeyResult(keyId=keyId, success=True)

    def QueryCryptoKeyStatus(self, ctx, checkKeyBitMap, keyIds=()):
        T = self.T
        statuses = []
        for key_id in keyIds:
            key = key_of(key_id)
            status = T.CryptoManagerKmipCryptoKeyStatus(keyId=key_id)
            if checkKeyBitMap & CHECK_AVAILABLE:
                status.keyAvailable = self.key_available(key)
                if not status.keyAvailable:
                    status.reason = self._unavailable_reason(key)
            if checkKeyBitMap & CHECK_VMS:
                status.encryptedVMs = [vm.ref for vm in self.encrypted_vms(key)]
            if checkKeyBitMap & CHECK_HOSTS:
                status.affectedHosts = [host.ref for host in self.keyed_hosts(key)]
            if checkKeyBitMap & CHECK_OTHER:
                status.referencedByTags = []
            statuses.append(status)
        return statuses

    def _unavailable_reason(self, key):
        provider = self.providers.get(key[0])
        if provider is None:
            return 'KeyStateClusterInvalid'
        if not provider.active:
            return 'KeyStateClusterUnreachable'
        return 'KeyStateMissingInKMS'


class KmsKey:
    """A key in the simulated KMS: its material stays here (derived from its
    name, so a -state journal replays into the same keys)."""

    def __init__(self, name, key_type, attributes):
        self.material = hashlib.sha256(('vimsim KMS key %s' % name).encode()).digest()[
            :KEY_BYTES]
        self.key_type = key_type
        self.attributes = dict(attributes or {})
        self.created = clock.now()


def _attributes(spec):
    attributes = {}
    for pair in (spec.attributes if spec is not None else ()):
        if not pair.key:
            raise InvalidArgument('spec.attributes')
        attributes[pair.key] = pair.value
    return attributes


# -- X.509 ------------------------------------------------------------------------------------
_SUBJECT_FIELDS = (('commonName', 'COMMON_NAME'), ('organization', 'ORGANIZATION_NAME'),
                   ('organizationUnit', 'ORGANIZATIONAL_UNIT_NAME'),
                   ('locality', 'LOCALITY_NAME'), ('state', 'STATE_OR_PROVINCE_NAME'),
                   ('country', 'COUNTRY_NAME'), ('email', 'EMAIL_ADDRESS'))


def _subject(request):
    """{CryptoManagerKmipCertSignRequest field: value} of a request; vCenter's
    common name when it gives none."""
    fields = {name: getattr(request, name) for name, _ in _SUBJECT_FIELDS
              if request is not None and getattr(request, name)}
    for name, value in fields.items():
        if len(value) > MAX_NAME_PART or name == 'country' and len(value) != 2:
            raise InvalidArgument('request.' + name)
    fields.setdefault('commonName', 'vCenter')
    return fields


def _name(fields):
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    return x509.Name([x509.NameAttribute(getattr(NameOID, oid), fields[name])
                      for name, oid in _SUBJECT_FIELDS if name in fields])


def _new_key(seed):
    """An Ed25519 key from a seed (deterministic signatures too, as the
    VMCA's: a -state journal replays into the same certificates)."""
    from cryptography.hazmat.primitives.asymmetric import ed25519
    return ed25519.Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(('vimsim KMIP client %s' % seed).encode()).digest())


def _key_pem(key):
    from cryptography.hazmat.primitives import serialization
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def self_signed(seed, fields):
    """(certificate PEM, key PEM) of a new self-signed certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    key = _new_key(seed)
    name = _name(fields)
    start = clock.now()
    serial = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:16], 'big') >> 1
    certificate = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(
        key.public_key()).serial_number(serial).not_valid_before(start).not_valid_after(
        start + datetime.timedelta(days=CERT_DAYS)).sign(key, None)
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), _key_pem(key)


def signing_request(seed, fields):
    """(CSR PEM, key PEM) of a new key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    key = _new_key(seed)
    request = x509.CertificateSigningRequestBuilder().subject_name(_name(fields)).sign(
        key, None)
    return request.public_bytes(serialization.Encoding.PEM).decode(), _key_pem(key)


def load_certificate(pem, name):
    from cryptography import x509
    try:
        return x509.load_pem_x509_certificate((pem or '').encode())
    except ValueError:
        raise InvalidArgument(name) from None


def _same_key(certificate_pem, key_pem, key_name='certificate'):
    """Whether a certificate is of the private key `key_pem` (PEM)."""
    from cryptography.hazmat.primitives import serialization
    certificate = load_certificate(certificate_pem, 'certificate')
    try:
        key = serialization.load_pem_private_key((key_pem or '').encode(), None)
    except (ValueError, TypeError):
        raise InvalidArgument(key_name) from None
    public = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return certificate.public_key().public_bytes(*public) == \
        key.public_key().public_bytes(*public)


def certificate_info(T, pem):
    """CryptoManagerKmipCertificateInfo of a certificate (PEM)."""
    from cryptography.hazmat.primitives import serialization
    certificate = load_certificate(pem, 'certificate')
    now = clock.now()
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    digest = hashlib.sha1(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
    return T.CryptoManagerKmipCertificateInfo(
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        serialNumber='%x' % certificate.serial_number, notBefore=start, notAfter=end,
        fingerprint=':'.join(digest[i:i + 2] for i in range(0, len(digest), 2)).upper(),
        checkTime=now, secondsSinceValid=int((now - start).total_seconds()),
        secondsBeforeExpire=int((end - now).total_seconds()))
