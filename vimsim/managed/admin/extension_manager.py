"""ExtensionManager: the extensions (plug-ins, solutions) registered with
vCenter, none on a fresh one.

An extension is what a solution registers about itself (`Extension`, keyed
by `key`); `extensionList` is the registry, and its changes reach property
filters element by element. Beside it vCenter keeps per extension what the
Extension object does not show: the certificate it logs in with
(SetExtensionCertificate, for SessionManager.LoginExtensionByCertificate),
its public key and its service account. Entities an extension manages name
it in their `config.managedBy` (set through ReconfigVM_Task), which is what
QueryManagedBy finds. A session acts for an extension (IpPoolManager's
allocations are its) when it logged in as the extension's service account,
as a solution user logs in to SSO; vimsim's TLS asks for no client
certificate, so no session logs in by one.
"""

from vimsim.managed.manager import Manager, manager_type
from vimsim.soap.fault import InvalidArgument, fault
from vimsim.users import Principal


def _not_found(key):
    return fault('NotFound', "The extension '%s' is not registered." % key)


@manager_type('ExtensionManager')
class ExtensionManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.extensionList = []
        self.certificates = {}     # extension key -> its login certificate (PEM)
        self.public_keys = {}      # extension key -> the public key it set
        self.service_accounts = {}
        self._own_key = None       # vCenter's key pair, made when first asked for

    def find(self, key):
        """The registered Extension of `key`, or None."""
        return next((e for e in self.extensionList if e.key == key), None)

    def extension_of(self, session):
        """The key of the extension a session acts for, or None."""
        if session is None:
            return None
        esx = self.server.esx
        user = Principal(session.user, esx).key
        return next((key for key, account in self.service_accounts.items()
                     if Principal(account, esx).key == user and self.find(key) is not None),
                    None)

    def _registered(self, key):
        extension = self.find(key)
        if extension is None:
            raise _not_found(key)
        return extension

    # -- the registry ----------------------------------------------------------------
    def RegisterExtension(self, ctx, extension):
        if not extension.key:
            raise InvalidArgument('extension.key')
        if self.find(extension.key) is not None:
            raise InvalidArgument('extension.key', "The extension '%s' is already "
                                  'registered.' % extension.key)
        self.extensionList.append(extension)
        self.changed('extensionList')

    def UpdateExtension(self, ctx, extension):
        current = self._registered(extension.key)
        self.extensionList[self.extensionList.index(current)] = extension
        self.changed('extensionList')

    def UnregisterExtension(self, ctx, extensionKey):
        self.extensionList.remove(self._registered(extensionKey))
        for table in (self.certificates, self.public_keys, self.service_accounts):
            table.pop(extensionKey, None)
        self.changed('extensionList')

    def FindExtension(self, ctx, extensionKey):
        return self.find(extensionKey)

    # -- what vCenter keeps beside the Extension ----------------------------------------
    def SetExtensionCertificate(self, ctx, extensionKey, certificatePem=None):
        """The certificate the extension logs in with: the one given, or else
        the client certificate of this connection (vimsim's TLS asks for none,
        so NoClientCertificate, as vCenter answers a connection without one)."""
        self._registered(extensionKey)
        if not certificatePem:
            raise fault('NoClientCertificate',
                        'The client did not present a certificate on this connection.')
        from cryptography import x509     # here: a plain-HTTP start does without it
        try:
            x509.load_pem_x509_certificate(certificatePem.encode())
        except ValueError:
            raise InvalidArgument('certificatePem') from None
        self.certificates[extensionKey] = certificatePem

    def SetPublicKey(self, ctx, extensionKey, publicKey):
        if self.find(extensionKey) is None:     # the method declares no NotFound
            raise InvalidArgument('extensionKey')
        from cryptography.hazmat.primitives import serialization
        try:
            serialization.load_pem_public_key(publicKey.encode())
        except ValueError:
            raise InvalidArgument('publicKey') from None
        self.public_keys[extensionKey] = publicKey

    def SetServiceAccount(self, ctx, extensionKey, serviceAccount):
        self._registered(extensionKey)
        if not serviceAccount:
            raise InvalidArgument('serviceAccount')
        self.service_accounts[extensionKey] = serviceAccount

    def GetPublicKey(self, ctx):
        """vCenter's public key (PEM): of a key pair this simulated vCenter
        makes once, when first asked."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        if self._own_key is None:
            self._own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self._own_key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    # -- what extensions manage --------------------------------------------------------
    def QueryManagedBy(self, ctx, extensionKey):
        """The VMs whose `config.managedBy` names the extension."""
        out = []
        for obj in self.server.objects:
            if obj.type_name != 'VirtualMachine':
                continue
            managed_by = (obj.settings or {}).get('managedBy')
            if managed_by is not None and managed_by.extensionKey == extensionKey:
                out.append(obj.ref)
        return out

    def QueryExtensionIpAllocationUsage(self, ctx, extensionKeys=()):
        """How many IP pool addresses each extension holds (of the keys
        given; of every extension holding any when none are)."""
        pools = self.server.managers.get('ipPoolManager')
        usage = pools.allocation_usage(set(extensionKeys)) if pools is not None else {}
        Usage = self.server.schema.types['ExtensionManagerIpAllocationUsage'].cls
        return [Usage(extensionKey=key, numAddresses=count)
                for key, count in sorted(usage.items())]
