"""VM encryption: what a ConfigSpec's `crypto` and each disk change's
`backing.crypto` do to a VM (CreateVM_Task, ReconfigVM_Task), and
CryptoUnlock_Task.

As vCenter has it, encryption follows the storage policy: the VM home is
encrypted while its policy has the VM encryption data service, a disk while
its own has. A CryptoSpecEncrypt names the key (one the key provider or
vCenter's list has, admin/crypto_manager.py); an encryption policy with no
spec gets a new key from the VM's default provider. A disk may be encrypted
only in an encrypted VM, and the VM decrypted only with its disks. Encrypt,
decrypt and deep recrypt need the VM powered off and without snapshots; a
shallow recrypt (a new key encrypting the same data keys) may run any time.
vCenter then makes the VM's host crypto-safe (a host key from the same
provider) and gives it the keys. A VM whose key goes (its provider
unregistered, the key removed with force) is locked (`runtime.cryptoState`)
until CryptoUnlock_Task finds the keys again; it does not power on meanwhile.
"""
from vimsim.managed.admin.crypto_keys import OPERATION_EVENT, crypto_key_id, key_of, \
    kmip_manager, plain_key
from vimsim.managed.monitoring.event_manager import EXTENDED, event_manager
from vimsim.managed.vm.storage_profiles import HOME
from vimsim.managed.vm.vm_task import invalid_power_state, vm_task
from vimsim.soap.fault import InvalidArgument, fault

VM_KEY = 'the VM key'       # a disk change that takes the key the VM home gets


def keys_of(vm):
    """The keys encrypting a VM (home and disks)."""
    keys = {vm.crypto_key} if vm.crypto_key is not None else set()
    for disk in vm.disks():
        key_id = getattr(disk.backing, 'keyId', None)
        if key_id is not None:
            keys.add(key_of(key_id))
    return keys


def config_key_id(vm):
    """config.keyId."""
    return crypto_key_id(vm.T, vm.crypto_key) if vm.crypto_key is not None else None


def is_encryption_policy(server, profile_id):
    """Whether a storage policy has the VM encryption data service."""
    return profile_id is not None and server.storage_policies.encrypts(profile_id)


def check_unlocked(vm):
    """A locked VM does nothing until unlocked."""
    if vm.crypto_locked:
        raise fault('InvalidState', 'The virtual machine is locked: its encryption keys are '
                    'not available.')


def prepare_power_on(ctx, vm):
    """Before an encrypted VM powers on, vCenter gives its host (maybe not
    the one it was encrypted on: a migration, DRS) the VM's keys."""
    keys = keys_of(vm)
    if keys and vm.server.managers.get('cryptoManager') is not None and \
            vm.server.managers['cryptoManager'].type_name == 'CryptoManagerKmip':
        give_host(ctx, vm.server.managers['cryptoManager'], vm.host, keys)


def _kind(spec):
    return spec._type.name if spec is not None else None


class CryptoPlan:
    """The encryption part of a _ConfigPlan: checked in `validate`, done
    in `commit` (the plan's device copies already carry their keys)."""

    def __init__(self, config_plan):
        self.plan = config_plan
        self.vm = config_plan.vm
        self.server = self.vm.server
        self.home_key = self.vm.crypto_key       # after the spec
        self.generate = None                     # provider id a new VM key comes from
        self.operations = []                     # what the spec does, for the event

    # -- validation ----------------------------------------------------------------------
    def validate(self):
        plan, vm = self.plan, self.vm
        if vm.crypto_locked and not plan.creating:
            check_unlocked(vm)
        crypto = plan.spec.crypto
        kind = _kind(crypto)
        home_policy = plan.profiles[HOME] if HOME in plan.profiles else \
            (vm.storage_profiles or {}).get(HOME)
        encrypted_policy = is_encryption_policy(self.server, home_policy)
        if kind == 'CryptoSpecEncrypt' or (kind in (None, 'CryptoSpecNoOp', 'CryptoSpecRegister')
                                           and encrypted_policy and vm.crypto_key is None):
            self._encrypt_home(crypto, encrypted_policy)
        elif kind == 'CryptoSpecDecrypt' or (kind is None and HOME in plan.profiles
                                             and vm.crypto_key is not None
                                             and not encrypted_policy):
            if vm.crypto_key is None:
                raise fault('InvalidState', 'The virtual machine is not encrypted.')
            if encrypted_policy:
                raise InvalidArgument('vmProfile')
            self._offline('decrypt')
            self.home_key = None
        elif kind in ('CryptoSpecShallowRecrypt', 'CryptoSpecDeepRecrypt'):
            if vm.crypto_key is None:
                raise fault('InvalidState', 'The virtual machine is not encrypted.')
            if kind == 'CryptoSpecDeepRecrypt':
                self._offline('deep recrypt')
            self.home_key = kmip_manager(self.server).check_usable(crypto.newKeyId,
                                                                   'crypto.newKeyId')
            self.operations.append('shallow recrypt' if kind == 'CryptoSpecShallowRecrypt'
                                   else 'deep recrypt')
        elif kind not in (None, 'CryptoSpecNoOp', 'CryptoSpecRegister'):
            raise InvalidArgument('crypto')
        self._disks()

    def _encrypt_home(self, crypto, encrypted_policy):
        vm, manager = self.vm, kmip_manager(self.server)
        if vm.crypto_key is not None:
            raise fault('InvalidState', 'The virtual machine is already encrypted.')
        if not encrypted_policy:
            raise InvalidArgument('vmProfile', 'Encryption needs an encryption storage policy.')
        self._offline('encrypt')
        if crypto is not None and _kind(crypto) == 'CryptoSpecEncrypt':
            self.home_key = manager.check_usable(crypto.cryptoKeyId, 'crypto.cryptoKeyId')
        else:
            self.generate = manager.default_for(self.plan.host)
            if self.generate is None or self.generate not in manager.providers:
                raise fault('InvalidState', 'No default key provider is set.')
            self.home_key = VM_KEY
        self.operations.append('encrypt')

    def _offline(self, operation):
        vm = self.vm
        if self.plan.creating:
            return
        if vm.power_state != 'poweredOff':
            raise invalid_power_state('poweredOff', vm.power_state)
        if vm.snapshot_tree is not None and vm.snapshot_tree.all():
            raise fault('InvalidState', 'Cannot %s a virtual machine with snapshots.'
                        % operation)

    def _disks(self):
        plan = self.plan
        T = self.vm.T
        for index, change in enumerate(plan.spec.deviceChange or ()):
            if change.operation not in ('add', 'edit') or not isinstance(change.device,
                                                                         T.VirtualDisk):
                continue
            disk = plan._find(change.device.key)
            if disk is None or not isinstance(disk.backing, T.VirtualDiskFlatVer2BackingInfo):
                if change.backing is not None and change.backing.crypto is not None:
                    raise InvalidArgument('deviceChange[%d].backing.crypto' % index)
                continue
            self._disk(index, change, disk)
        devices = plan.devices if plan.devices is not None else self.vm.device_list()
        if self.home_key is None and any(getattr(d.backing, 'keyId', None) is not None
                                         for d in devices if isinstance(d, T.VirtualDisk)):
            raise InvalidArgument('deviceChange', 'An encrypted disk needs an encrypted '
                                  'virtual machine.')

    def _disk(self, index, change, disk):
        plan = self.plan
        name = 'deviceChange[%d]' % index
        crypto = change.backing.crypto if change.backing is not None else None
        kind = _kind(crypto)
        policy = plan.profiles[disk.key] if disk.key in plan.profiles else \
            (self.vm.storage_profiles or {}).get(disk.key)
        encrypted_policy = is_encryption_policy(self.server, policy)
        current = disk.backing.keyId
        new_file = change.operation == 'add' and change.fileOperation == 'create'
        if kind == 'CryptoSpecEncrypt' or (kind is None and encrypted_policy and current is None
                                           and (new_file or disk.key in plan.profiles)):
            if change.operation == 'add' and not new_file:
                raise InvalidArgument(name + '.backing.crypto',
                                      'An existing disk is encrypted once added.')
            if current is not None:
                raise fault('InvalidState', 'The disk is already encrypted.')
            if self.home_key is None:
                raise InvalidArgument(name + '.backing.crypto',
                                      'An encrypted disk needs an encrypted virtual machine.')
            if not encrypted_policy:
                raise InvalidArgument(name + '.profile')
            if not new_file:
                self._offline('encrypt')
            key = kmip_manager(self.server).check_usable(
                crypto.cryptoKeyId, name + '.backing.crypto.cryptoKeyId') if crypto else VM_KEY
            disk.backing.keyId = key if key == VM_KEY else crypto_key_id(self.vm.T, key)
        elif kind == 'CryptoSpecDecrypt' or (kind is None and disk.key in plan.profiles
                                             and current is not None and not encrypted_policy):
            if current is None:
                raise fault('InvalidState', 'The disk is not encrypted.')
            if encrypted_policy:
                raise InvalidArgument(name + '.profile')
            self._offline('decrypt')
            disk.backing.keyId = None
        elif kind in ('CryptoSpecShallowRecrypt', 'CryptoSpecDeepRecrypt'):
            if current is None:
                raise fault('InvalidState', 'The disk is not encrypted.')
            if kind == 'CryptoSpecDeepRecrypt':
                self._offline('deep recrypt')
            key = kmip_manager(self.server).check_usable(crypto.newKeyId,
                                                         name + '.backing.crypto.newKeyId')
            disk.backing.keyId = crypto_key_id(self.vm.T, key)
        elif kind not in (None, 'CryptoSpecNoOp', 'CryptoSpecRegister'):
            raise InvalidArgument(name + '.backing.crypto')
        if disk.backing.keyId != current:
            self.operations.append('disk %d' % disk.key)

    # -- installing -------------------------------------------------------------------------
    def commit(self, ctx):
        vm, T = self.vm, self.vm.T
        if self.home_key == VM_KEY:
            self.home_key = kmip_manager(self.server).new_key(self.generate)
        for disk in vm.disks():
            if disk.backing is not None and getattr(disk.backing, 'keyId', None) == VM_KEY:
                disk.backing.keyId = crypto_key_id(T, self.home_key)
        vm.crypto_key = self.home_key
        if not self.operations:
            return
        keys = keys_of(vm)
        if keys:
            give_host(ctx, kmip_manager(self.server), vm.host, keys)
        event_manager(self.server).post(
            'EventEx', vm, ctx=ctx, eventTypeId=OPERATION_EVENT,
            severity=EXTENDED[OPERATION_EVENT][1], arguments=[T.KeyAnyValue(
                key='operation', value='%s of %s' % (', '.join(self.operations), vm.name))])


def encrypt_copy(ctx, source, clone):
    """A copy of an encrypted VM (a clone, an instant clone) is encrypted
    with the same keys (its disks are copies, keys and all), and its host
    gets them; a clone spec may then recrypt or decrypt it."""
    if source.crypto_key is None:
        return
    clone.crypto_key = source.crypto_key
    clone.storage_profiles = dict(source.storage_profiles or {}) or None
    give_host(ctx, kmip_manager(source.server), clone.host, keys_of(clone))


def give_host(ctx, manager, host, keys):
    """vCenter puts `host` in crypto-safe mode (a host key from the
    provider of one of the keys, else the default one) and gives it `keys`."""
    manager.hand_out(keys)
    cache = host.managers.get('cryptoManager')
    if cache is None or not hasattr(cache, 'make_safe'):
        return
    if not cache.enabled:
        active = [provider for provider, _ in sorted(keys)] + [manager.default_provider]
        provider = next((each for each in active if each in manager.providers
                         and manager.providers[each].active), None)
        host_key = manager.new_key(provider) if provider is not None else sorted(keys)[0]
        cache.make_safe(ctx, plain_key(host.T, host_key))
    for key in keys:
        cache.push(key, None)


def unlock_task(ctx, vm):
    """CryptoUnlock_Task: vCenter fetches the VM's keys again and gives
    them to its host."""
    if not keys_of(vm):
        raise fault('NotSupported', 'The virtual machine is not encrypted.')
    manager = kmip_manager(vm.server)

    def work(task):
        if not vm.crypto_locked:
            raise fault('InvalidState', 'The virtual machine is not locked.')
        missing = [key for key in sorted(keys_of(vm)) if not manager.key_available(key)]
        if missing:
            raise fault('EncryptionKeyRequired', 'The encryption keys of the virtual machine '
                        'are not available.', requiredKey=[
                            crypto_key_id(vm.T, key) for key in missing])
        give_host(ctx, manager, vm.host, keys_of(vm))
        vm.crypto_locked = False
        vm.report_changed('runtime', 'summary')
    return vm_task(ctx, vm, 'CryptoUnlock_Task', work)
