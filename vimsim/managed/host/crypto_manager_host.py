"""CryptoManagerHostKMS: a host's encryption mode and key cache
(HostSystem.configManager.cryptoManager).

A host goes from `incapable` through `prepared` (CryptoManagerHostPrepare)
to crypto-safe (`safe`, CryptoManagerHostEnable with its host key); from
then on it takes keys (the CryptoManager methods, its key cache) and runs
encrypted VMs. Disable takes it back to `incapable`, refused while an
encrypted VM is registered on it. ChangeKey_Task gives it a new host key.
`runtime.cryptoState` and `runtime.cryptoKeyId` are these; vCenter makes a
host safe itself when it first puts an encrypted VM there (`make_safe`).
"""
from vimsim.managed.admin.crypto_keys import KeyList, crypto_key_id, key_of, plain_key
from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.managed.monitoring.event_manager import EXTENDED, event_manager
from vimsim.managed.monitoring.task import run_task
from vimsim.soap.fault import InvalidArgument, InvalidRequest, fault

KEY_UPDATED_EVENT = 'com.vmware.vc.crypto.HostKeyUpdatedEvent'
ENABLED_EVENT = 'com.vmware.vc.host.Crypto.Enabled'


def _invalid_state(state):
    return fault('InvalidState', 'The operation is not allowed in the current crypto state '
                 '(%s) of the host.' % state)


class CryptoManagerHost(KeyList, HostManagerObject):
    """A host's crypto manager: a CryptoManagerHostKMS in vCenter 8.0 (the
    type config_managers.py gives it); CryptoManagerHost declares the methods."""
    type_name = 'CryptoManagerHostKMS'
    type_names = ('CryptoManagerHostKMS', 'CryptoManagerHost')

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.crypto_state = 'incapable'
        self.host_key = None        # (provider id, key id) of the host key
        self.key_list = {}          # the host's key cache: key -> material

    @property
    def enabled(self):
        return self.crypto_state == 'safe'

    def host_key_id(self):
        """runtime.cryptoKeyId."""
        return crypto_key_id(self.T, self.host_key) if self.host_key is not None else None

    def key_users(self, key):
        return [self.host] if key == self.host_key else []

    def forget(self, keys):
        """A key forced out of the cache: the VMs here it encrypts lock."""
        for vm in list(self.host.vms):
            if any(key in keys for key in vm.crypto_keys()) and not vm.crypto_locked:
                vm.crypto_locked = True
                vm.report_changed('runtime', 'summary')

    def keys_changed(self):
        self.host.changed('runtime')

    def _set_state(self, state, key=None):
        self.crypto_state = state
        self.host_key = key
        self.report('enabled')
        self.host.changed('runtime')

    # -- the methods ---------------------------------------------------------------------
    def CryptoManagerHostPrepare(self, ctx):
        if self.crypto_state != 'incapable':
            raise _invalid_state(self.crypto_state)
        self._set_state('prepared')

    def CryptoManagerHostEnable(self, ctx, initialKey):
        if self.crypto_state != 'prepared':
            raise _invalid_state(self.crypto_state)
        self._enable(ctx, initialKey)

    def _enable(self, ctx, plain):
        key = key_of(plain.keyId)
        problem = self._add(plain)
        if problem is not None:
            raise problem
        self._set_state('safe', key)
        self._post(ctx, ENABLED_EVENT)

    def CryptoManagerHostDisable(self, ctx):
        if self.crypto_state not in ('prepared', 'safe'):
            raise _invalid_state(self.crypto_state)
        if any(vm.crypto_keys() for vm in self.host.vms):
            raise _invalid_state(self.crypto_state)
        self.key_list.clear()
        self._set_state('incapable')

    def ChangeKey_Task(self, ctx, newKey):
        key_of(newKey.keyId)

        def work(task):
            if self.crypto_state != 'safe':
                raise _invalid_state(self.crypto_state)
            self._rekey(newKey)
            task.post_event('EventEx', self.host, eventTypeId=KEY_UPDATED_EVENT,
                            severity=EXTENDED[KEY_UPDATED_EVENT][1], arguments=[])
        return run_task(ctx, self.host, 'ChangeKey_Task', work, this=self)

    def _rekey(self, plain):
        """A safe host's host key becomes `plain` (a CryptoKeyPlain)."""
        if key_of(plain.keyId) == self.host_key:
            return
        problem = self._add(plain)
        if problem is not None:
            raise problem
        self._set_state('safe', key_of(plain.keyId))

    def GetCryptoKeyStatus(self, ctx, keys=()):
        T = self.T
        statuses = []
        for key_id in keys:
            present = key_of(key_id) in self.key_list
            statuses.append(T.CryptoManagerHostKeyStatus(
                keyId=key_id, present=present, managementType='external' if present else None,
                accessGranted=present))
        return statuses

    # -- what vCenter does ---------------------------------------------------------------
    def make_safe(self, ctx, plain):
        """vCenter puts the host in crypto-safe mode with the host key
        `plain` (a CryptoKeyPlain) unless it is safe already."""
        if self.crypto_state != 'safe':
            self._enable(ctx, plain)

    def push(self, key, material):
        """vCenter gives the host a key its VMs need."""
        if self.crypto_state != 'safe':
            raise _invalid_state(self.crypto_state)
        if key not in self.key_list:
            self.key_list[key] = material
            self.keys_changed()

    def configure_key(self, ctx, plain):
        """HostSystem.ConfigureCryptoKey on the host: `plain` becomes its
        host key, the host crypto-safe (from any state, as vCenter prepares
        and enables it in one step)."""
        if self.crypto_state == 'safe':
            if key_of(plain.keyId) != self.host_key:
                self._rekey(plain)
                self._post(ctx, KEY_UPDATED_EVENT)
        else:
            self._enable(ctx, plain)

    def _post(self, ctx, event_type):
        event_manager(self.server).post(
            'EventEx', self.host, ctx=ctx, eventTypeId=event_type,
            severity=EXTENDED[event_type][1], arguments=[])


def set_crypto_mode(ctx, cluster, mode, policy):
    """ClusterComputeResource.SetCryptoMode: `forceEnable` makes every host
    of the cluster crypto-safe at once, each with a new host key from the
    policy's provider (else the cluster's default one); `onDemand` leaves
    them until an encrypted VM needs one."""
    server = cluster.server
    if mode not in server.schema.enums['ClusterCryptoConfigInfoCryptoMode'].values:
        raise InvalidArgument('cryptoMode')
    manager = server.managers.get('cryptoManager')
    provider = None
    if mode == 'forceEnable':
        if policy is not None and policy.providerId is not None:
            provider = policy.providerId.id
        elif policy is not None and policy.keyId is not None:
            provider = key_of(policy.keyId)[0]
        else:
            provider = manager.default_for(cluster)
        if provider is None or provider not in manager.providers or \
                not manager.providers[provider].active:
            raise InvalidRequest('The cluster has no active key provider.')
        for host in cluster.hosts:
            crypto = host.managers.get('cryptoManager')
            if crypto is not None and not crypto.enabled:
                crypto.make_safe(ctx, plain_key(host.T, manager.new_key(provider)))
    T = cluster.T
    cluster.settings.crypto = T.ClusterCryptoConfigInfo(
        cryptoMode=mode, policy=T.ClusterComputeResourceCryptoModePolicy(
            providerId=T.KeyProviderId(id=provider)) if provider is not None else None)
    cluster.changed(*cluster.CONFIGURATION_PROPERTIES)



def configure_crypto_key(ctx, host, key_id):
    """HostSystem.ConfigureCryptoKey, vCenter's part: the key `key_id`
    names (which must be available), else the host's own host key, else
    the key its cluster's crypto policy names, else a new key from the
    provider the policy names or the host's default one; vCenter tracks it
    and makes it the host key."""
    server = host.server
    manager = server.managers.get('cryptoManager')
    cache = host.managers.get('cryptoManager')
    if server.esx or cache is None:            # ESX has no KMS to take keys from
        raise fault('NotSupported', 'The operation is not supported on the object.')
    crypto = getattr(getattr(host.compute_resource, 'settings', None), 'crypto', None)
    policy = crypto.policy if crypto is not None else None
    if key_id is not None:
        key = manager.check_usable(key_id, 'keyId')
    elif cache.host_key is not None:
        key = cache.host_key
    elif policy is not None and policy.keyId is not None:
        key = manager.check_usable(policy.keyId, 'keyId')
    else:
        provider = policy.providerId.id if policy is not None and policy.providerId \
            is not None else manager.default_for(host)
        if provider is None or provider not in manager.providers or \
                not manager.providers[provider].active:
            raise InvalidRequest('The host has no active key provider.')
        key = manager.new_key(provider)
    manager.hand_out([key])
    cache.configure_key(ctx, plain_key(host.T, key))
