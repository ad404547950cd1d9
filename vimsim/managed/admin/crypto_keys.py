"""The keys of VM encryption as vCenter's CryptoManagerKmip and a host's
CryptoManagerHost both hold them (admin/crypto_manager.py,
host/crypto_manager_host.py): a key's ids, the key list's methods, and the
vCenter manager that every encryption asks for keys. A module of its own so
that a host's key cache and the VMs that name keys do not import the KMS
(crypto_manager.py is made on first lookup, with its module)."""
from vimsim.soap.fault import InvalidArgument, NotFound, fault, localized, message_of

ALGORITHMS = ('AES-256', 'AES-128', 'XTS-AES-256')
OPERATION_EVENT = 'com.vmware.vc.crypto.Operation'


def key_of(key_id):
    """The dictionary key of a CryptoKeyId: (provider id or '', key id);
    InvalidArgument for one without a key id."""
    if key_id is None or not key_id.keyId:
        raise InvalidArgument('keyId')
    provider = key_id.providerId.id if key_id.providerId is not None else None
    return provider or '', key_id.keyId


def crypto_key_id(T, key):
    """The CryptoKeyId of a dictionary key."""
    provider, key_id = key
    return T.CryptoKeyId(keyId=key_id,
                         providerId=T.KeyProviderId(id=provider) if provider else None)


def plain_key(T, key):
    """The CryptoKeyPlain vCenter hands a host (the material stays in the
    KMS: a token of the key stands for it)."""
    return T.CryptoKeyPlain(keyId=crypto_key_id(T, key), algorithm='AES-256',
                            keyData='vimsim:%s' % key[1])


def kmip_manager(server):
    """vCenter's CryptoManagerKmip, which every encryption asks for keys
    (NotSupported on an ESXi host, where vCenter manages encryption)."""
    manager = server.managers.get('cryptoManager')
    if manager is None or manager.type_name != 'CryptoManagerKmip':
        raise fault('NotSupported', 'Encryption is managed by vCenter Server.')
    return manager


class _Classes:
    """The schema's data classes by attribute, for the managers here
    (entity.DataTypes is a layer above admin)."""

    def __init__(self, types):
        self._types = types

    def __getattr__(self, name):
        try:
            return self._types[name].cls
        except KeyError:
            raise AttributeError(name) from None


class KeyList:
    """The CryptoManager methods over a list of keys (vCenter's known keys, a
    host's key cache): {key: material}. A class using it sets `key_list`,
    defines `key_users(key)` (what uses a key: a non-empty list refuses its
    removal without force) and `forget(keys)` (what follows a forced
    removal), and `enabled` (a host out of crypto-safe mode takes no keys)."""

    @property
    def T(self):
        return _Classes(self.server.schema.types)

    def AddKey(self, ctx, key):
        self._check_enabled()
        added = self._add(key)
        if added is not None:
            raise added
        self.keys_changed()

    def AddKeys(self, ctx, keys=()):
        self._check_enabled()
        results = []
        for plain in keys:
            problem = self._add(plain)
            results.append(_result(self.T, plain.keyId, problem))
        self.keys_changed()
        return results

    def ListKeys(self, ctx, limit=None):
        if limit is not None and limit < 0:
            raise InvalidArgument('limit')
        keys = list(self.key_list)
        return [crypto_key_id(self.T, key) for key in keys[:limit]]

    def RemoveKey(self, ctx, key, force):
        problem = self._remove([key_of(key)], force)
        if problem is not None:
            raise problem
        self.keys_changed()

    def RemoveKeys(self, ctx, force, keys=()):
        results = []
        for key_id in keys:
            try:
                problem = self._remove([key_of(key_id)], force)
            except self.T.MethodFault as invalid:
                problem = invalid
            results.append(_result(self.T, key_id, problem))
        self.keys_changed()
        return results

    def _check_enabled(self):
        if not self.enabled:
            raise fault('InvalidState', 'The host is not in crypto safe mode.')

    def _add(self, plain):
        """Add a CryptoKeyPlain; the fault that refuses it, or None."""
        try:
            key = key_of(plain.keyId)
            if plain.algorithm not in ALGORITHMS:
                raise InvalidArgument('key.algorithm')
            if not plain.keyData:
                raise InvalidArgument('key.keyData')
        except self.T.MethodFault as invalid:
            return invalid
        known = self.key_list.get(key)
        if known is not None and known != plain.keyData:
            return fault('AlreadyExists', "The key '%s' already exists." % key[1], name=key[1])
        self.key_list[key] = plain.keyData
        return None

    def _remove(self, keys, force):
        for key in keys:
            if key not in self.key_list:
                return NotFound("The key '%s' could not be found." % key[1])
            users = self.key_users(key)
            if users and not force:
                return fault('ResourceInUse', "The key '%s' is in use." % key[1], name=key[1])
        for key in keys:
            self.key_list.pop(key)
        if force:
            self.forget(keys)
        return None

    def keys_changed(self):
        """Hook: after the list changed."""


def _result(T, key_id, problem):
    """The CryptoKeyResult of one key of AddKeys / RemoveKeys."""
    return T.CryptoKeyResult(keyId=key_id, success=problem is None,
                             reason=message_of(problem) if problem is not None else None,
                             fault=localized(problem) if problem is not None else None)
