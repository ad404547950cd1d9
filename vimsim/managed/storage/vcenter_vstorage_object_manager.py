"""VcenterVStorageObjectManager: vCenter's first-class disks (the model is
vstorage_object.py): create, register, list, read, rename, grow, inflate,
clone, relocate and delete them, their snapshots, and their tags (the
categories and tags of the REST tagging model, `Simulator.tagging`; which
disk carries which tag is kept in the disk's catalog entry, so it lives as
long as the disk, and a tag deleted from the tagging service is gone from
every disk).

The *Ex forms are VStorageObjectManagerBase's (vstorage_object_manager_base.py),
shared with the ESXi manager. A disk's storage policy is a profile of the
simulator's PBM (vimsim/pbm); infrastructure objects are vSAN's namespace
objects, which the simulated vsanDatastore does not model, so a datastore has none.

Faults as vCenter's: NotFound for an id (or snapshot id, tag, category)
that names nothing, InvalidDatastore for a datastore argument that is none,
InvalidArgument for a bad spec, NoDiskSpace when a thick disk or a copy does
not fit, InvalidState for file changes to a disk attached to a VM. Calls
that change files run as tasks and check there.

UpdateVStorageObjectCrypto_Task encrypts, decrypts and recrypts a disk as
ReconfigVM_Task does a VM's disk (vm/vm_encryption.py): encryption follows
the storage policy (the one `profile` gives, else the disk's), a
CryptoSpecEncrypt names the key (else the default provider makes one),
recrypts name the new one; vCenter's key checks (CryptoManager.check_usable)
and its crypto operation event. The disk's chain takes one key, so a
`disksCrypto.parent` must repeat the top's spec (other keys per file:
NotSupported). A disk attached to a VM is the VM's to encrypt
(InvalidState). Encryption at creation or in a copy's spec (CreateDisk_Task
`crypto`, Clone/Relocate `disksCrypto`) is NotSupported; a copy of an
encrypted disk keeps its key.
"""
from vimsim.managed.admin.crypto_keys import OPERATION_EVENT, kmip_manager
from vimsim.managed.manager import manager_type
from vimsim.managed.monitoring.event_manager import EXTENDED, event_manager
from vimsim.managed.storage import datastore_files as files
from vimsim.managed.storage import virtual_disk_manager as disk_files
from vimsim.managed.storage import vstorage_object as catalog
from vimsim.managed.storage.vmdk import uuid_text
from vimsim.managed.storage.vstorage_object import MB, PROVISIONING, datastore_of
from vimsim.managed.storage.vstorage_object_manager_base import (VStorageObjectManagerBase,
                                                                 not_supported)
from vimsim.soap.fault import InvalidArgument, fault, localized


@manager_type('VcenterVStorageObjectManager')
class VcenterVStorageObjectManager(VStorageObjectManagerBase):

    def _backing_spec(self, ctx, spec, argument):
        """(datastore, folder, provisioning type) of a VslmCreateSpecBackingSpec."""
        T = self.T
        backing = getattr(spec, 'backingSpec', None)
        if not isinstance(backing, T.VslmCreateSpecDiskFileBackingSpec):
            raise not_supported()       # raw disk mappings: no LUNs here
        provisioning = backing.provisioningType or 'thin'
        if provisioning not in PROVISIONING:
            raise InvalidArgument(argument + '.backingSpec.provisioningType')
        ds = datastore_of(ctx.server, backing.datastore, argument + '.backingSpec.datastore')
        if backing.path:
            try:
                files.normalize(backing.path)
            except files.PathError:
                raise files.invalid_path(backing.path) from None
        return ds, backing.path, provisioning

    @staticmethod
    def _unsupported_parts(*parts):
        if any(parts):
            raise not_supported()       # storage policies and encryption are not simulated

    # -- making and removing -------------------------------------------------------------
    def CreateDisk_Task(self, ctx, spec):
        ds, folder, provisioning = self._backing_spec(ctx, spec, 'spec')
        if not spec.name:
            raise InvalidArgument('spec.name')
        if spec.capacityInMB is None or spec.capacityInMB <= 0:
            raise InvalidArgument('spec.capacityInMB')
        self._unsupported_parts(spec.profile, spec.crypto)
        files.namespace(ctx.server).materialize()
        identifier = catalog.check_new_id(ctx.server, spec.id)

        def work(task):
            return catalog.create(ctx.server, ds, spec.name, spec.capacityInMB * MB,
                                  provisioning, folder, identifier, spec.keepAfterDeleteVm,
                                  spec.metadata).vstorage_object(self.T)
        return self._run(ctx, 'CreateDisk_Task', files.guarded(files.datastore_path(
            ds, folder or catalog.DISK_FOLDER), work))

    def RegisterDisk(self, ctx, path, name=None, id=None):
        if not (path or '').endswith('.vmdk'):
            raise files.invalid_path(path or '')
        target = _disk_file(ctx.server, path)
        identifier = catalog.check_new_id(ctx.server, id)
        with files.os_faults(target.name):
            return catalog.register(ctx.server, target, name, identifier).vstorage_object(self.T)

    def DeleteVStorageObject_Task(self, ctx, id, datastore):
        return self._on_disk(ctx, 'DeleteVStorageObject_Task', id, datastore, catalog.delete)

    def ReconcileDatastoreInventory_Task(self, ctx, datastore, deepCleansing=None):
        ds = datastore_of(ctx.server, datastore)
        files.namespace(ctx.server).materialize()
        return self._run(ctx, 'ReconcileDatastoreInventory_Task',
                         lambda task: catalog.reconcile(ds))

    # -- reading --------------------------------------------------------------------------
    def ListVStorageObject(self, ctx, datastore):
        ds = datastore_of(ctx.server, datastore)
        files.namespace(ctx.server).materialize()
        return [self.T.ID(id=disk.id) for disk in catalog.disks_on(ds)]

    def RetrieveVStorageObject(self, ctx, id, datastore, diskInfoFlags=()):
        disk = self._read(ctx, id, datastore)
        with files.os_faults(disk.file_name):
            return disk.vstorage_object(self.T)

    def RetrieveVStorageObjectState(self, ctx, id, datastore):
        self._read(ctx, id, datastore)
        return self.T.VStorageObjectStateInfo(tentative=False)

    def RetrieveSnapshotInfo(self, ctx, id, datastore):
        return self._read(ctx, id, datastore).snapshot_info(self.T)

    # -- changing -------------------------------------------------------------------------
    def RenameVStorageObject(self, ctx, id, datastore, name):
        if not name:
            raise InvalidArgument('name')
        catalog.rename(self._read(ctx, id, datastore), name)

    def ExtendDisk_Task(self, ctx, id, datastore, newCapacityInMB):
        if newCapacityInMB <= 0:
            raise InvalidArgument('newCapacityInMB')
        return self._on_disk(ctx, 'ExtendDisk_Task', id, datastore,
                             lambda disk: catalog.extend(disk, newCapacityInMB * MB))

    def InflateDisk_Task(self, ctx, id, datastore):
        return self._on_disk(ctx, 'InflateDisk_Task', id, datastore, catalog.inflate)

    def CloneVStorageObject_Task(self, ctx, id, datastore, spec):
        target, folder, provisioning = self._backing_spec(ctx, spec, 'spec')
        if not spec.name:
            raise InvalidArgument('spec.name')
        self._unsupported_parts(spec.profile, spec.disksCrypto, spec.service)

        def clone(disk):
            return catalog.copy_state(ctx.server, disk, disk.path, target, spec.name,
                                      provisioning, folder, keep=spec.keepAfterDeleteVm,
                                      metadata=spec.metadata).vstorage_object(self.T)
        return self._on_disk(ctx, 'CloneVStorageObject_Task', id, datastore, clone)

    def RelocateVStorageObject_Task(self, ctx, id, datastore, spec):
        target, folder, _ = self._backing_spec(ctx, spec, 'spec')
        self._unsupported_parts(spec.profile, spec.disksCrypto, spec.service)
        return self._on_disk(ctx, 'RelocateVStorageObject_Task', id, datastore, lambda disk:
                             catalog.relocate(ctx.server, disk, target, folder)
                             .vstorage_object(self.T))

    # -- snapshots ------------------------------------------------------------------------
    def VStorageObjectCreateSnapshot_Task(self, ctx, id, datastore, description):
        return self._on_disk(ctx, 'VStorageObjectCreateSnapshot_Task', id, datastore,
                             lambda disk: self.T.ID(id=catalog.create_snapshot(
                                 ctx.server, disk, description)))

    def DeleteSnapshot_Task(self, ctx, id, datastore, snapshotId):
        return self._on_disk(ctx, 'DeleteSnapshot_Task', id, datastore,
                             lambda disk: catalog.delete_snapshot(disk, snapshotId))

    def RevertVStorageObject_Task(self, ctx, id, datastore, snapshotId):
        return self._on_disk(ctx, 'RevertVStorageObject_Task', id, datastore,
                             lambda disk: catalog.revert(ctx.server, disk, snapshotId))

    def CreateDiskFromSnapshot_Task(self, ctx, id, datastore, snapshotId, name, profile=(),
                                    crypto=None, path=None, isLinkedClone=None,
                                    targetId=None, targetDatastore=None):
        return self._disk_from_snapshot(ctx, id, datastore, snapshotId, name, profile, crypto,
                                        path, None, isLinkedClone, targetId, targetDatastore)

    def _disk_from_snapshot(self, ctx, id, datastore, snapshotId, name, profile, crypto, path,
                            provisioning, linked, target_id, target_datastore):
        """A new disk holding what the snapshot holds (provisioned as the
        source unless `provisioning` says otherwise)."""
        if not name:
            raise InvalidArgument('name')
        if provisioning is not None and provisioning not in PROVISIONING:
            raise InvalidArgument('provisioningType')
        self._unsupported_parts(profile, crypto, linked)
        if path:
            try:
                files.normalize(path)
            except files.PathError:
                raise files.invalid_path(path) from None
        target = datastore_of(ctx.server, target_datastore) if target_datastore is not None \
            else None
        files.namespace(ctx.server).materialize()
        identifier = catalog.check_new_id(ctx.server, self.T.ID(id=target_id)) \
            if target_id is not None else None

        def from_snapshot(disk):
            frozen = disk.entry['snapshots'][disk.snapshot(snapshotId)]['path']
            return catalog.copy_state(ctx.server, disk, frozen, target or disk.ds, name,
                                      provisioning or disk.provisioning, path,
                                      identifier).vstorage_object(self.T)
        return self._on_disk(ctx, 'CreateDiskFromSnapshot_Task', id, datastore, from_snapshot)

    # -- control flags, metadata, policies ----------------------------------------------------
    def SetVStorageObjectControlFlags(self, ctx, id, datastore, controlFlags=()):
        catalog.set_control_flags(self._read(ctx, id, datastore), list(controlFlags), True)

    def ClearVStorageObjectControlFlags(self, ctx, id, datastore, controlFlags=()):
        catalog.set_control_flags(self._read(ctx, id, datastore), list(controlFlags), False)

    def VCenterUpdateVStorageObjectMetadataEx_Task(self, ctx, id, datastore, metadata=(),
                                                   deleteKeys=()):
        return self._on_disk(ctx, 'VCenterUpdateVStorageObjectMetadataEx_Task', id, datastore,
                             lambda disk: catalog.update_metadata(disk, metadata, deleteKeys))

    def UpdateVStorageObjectPolicy_Task(self, ctx, id, datastore, profile=()):
        profile_id = self._profile(ctx, profile, datastore_of(ctx.server, datastore))
        return self._on_disk(ctx, 'UpdateVStorageObjectPolicy_Task', id, datastore,
                             lambda disk: catalog.set_profile(disk, profile_id))

    def _profile(self, ctx, specs, ds):
        """The profile id a VirtualMachineProfileSpec list names (None: none):
        a defined profile must be one of PBM's."""
        if len(specs) > 1:
            raise InvalidArgument('profile')
        kind = specs[0]._type.name if specs else 'VirtualMachineEmptyProfileSpec'
        if kind == 'VirtualMachineDefinedProfileSpec':
            spec = specs[0]
            if spec.replicationSpec is not None or spec.profileData is not None:
                raise not_supported()     # replication groups are not simulated
            if not ctx.server.storage_policies.exists(spec.profileId):
                raise InvalidArgument('profile.profileId')
            return spec.profileId
        if kind == 'VirtualMachineDefaultProfileSpec':
            return ctx.server.storage_policies.default_profile_id(ds)
        if kind == 'VirtualMachineEmptyProfileSpec':
            return None
        raise InvalidArgument('profile')

    # -- encryption ----------------------------------------------------------------------------
    def UpdateVStorageObjectCrypto_Task(self, ctx, id, datastore, profile=(), disksCrypto=None):
        """A task encrypting, decrypting or recrypting the disk's chain as
        its policy and `disksCrypto` say."""
        ds = datastore_of(ctx.server, datastore)
        manager = kmip_manager(ctx.server)
        profile_id = self._profile(ctx, profile, ds) if profile else None
        crypto, depth = self._chain_crypto(disksCrypto)
        kind = crypto._type.name if crypto is not None else None
        given = None
        if kind == 'CryptoSpecEncrypt' and crypto.cryptoKeyId is not None:
            given = manager.check_usable(crypto.cryptoKeyId, 'disksCrypto.crypto.cryptoKeyId')
        elif kind in ('CryptoSpecShallowRecrypt', 'CryptoSpecDeepRecrypt'):
            given = manager.check_usable(crypto.newKeyId, 'disksCrypto.crypto.newKeyId')
        elif kind not in (None, 'CryptoSpecEncrypt', 'CryptoSpecDecrypt', 'CryptoSpecNoOp'):
            raise InvalidArgument('disksCrypto.crypto')

        def change(disk):
            disk.check_detached()
            if depth > len(disk.chain()):
                raise InvalidArgument('disksCrypto.parent')
            policy = profile_id if profile else disk.entry.get('profileId')
            key, operation = self._crypto_change(ctx, manager, disk, ds, kind, given, policy,
                                                 bool(profile))
            catalog.set_crypto(disk, key, policy)
            if operation is not None:
                event_manager(ctx.server).post(
                    'EventEx', ds, ctx=ctx, eventTypeId=OPERATION_EVENT,
                    severity=EXTENDED[OPERATION_EVENT][1], arguments=[self.T.KeyAnyValue(
                        key='operation', value='%s of disk %s' % (operation, disk.name))])
        return self._on_disk(ctx, 'UpdateVStorageObjectCrypto_Task', id, datastore, change)

    @staticmethod
    def _chain_crypto(spec):
        """(the CryptoSpec for the whole chain, how many files the spec
        names): every parent's spec must be the top's, one key for the chain."""
        if spec is None:
            return None, 0
        depth, parent = 1, spec.parent
        while parent is not None:
            if parent.crypto != spec.crypto:
                raise not_supported()     # a key per file of the chain is not simulated
            depth, parent = depth + 1, parent.parent
        return spec.crypto, depth

    def _crypto_change(self, ctx, manager, disk, ds, kind, given, policy, new_policy):
        """(the disk's key after the change, the operation's name or None),
        with vCenter's refusals."""
        encrypting_policy = ctx.server.storage_policies.encrypts(policy)
        if kind == 'CryptoSpecEncrypt' or (kind is None and encrypting_policy
                                           and disk.key is None):
            if disk.key is not None:
                raise fault('InvalidState', 'The disk %s is already encrypted.' % disk.id)
            if not encrypting_policy:
                raise InvalidArgument('profile', 'Encryption needs an encryption storage policy.')
            if given is None:
                provider = manager.default_for(ds)
                if provider is None or provider not in manager.providers:
                    raise fault('InvalidState', 'No default key provider is set.')
                given = manager.new_key(provider)
            return given, 'encrypt'
        if kind == 'CryptoSpecDecrypt' or (kind is None and new_policy and disk.key is not None
                                           and not encrypting_policy):
            if disk.key is None:
                raise fault('InvalidState', 'The disk %s is not encrypted.' % disk.id)
            if encrypting_policy:
                raise InvalidArgument('profile')
            return None, 'decrypt'
        if kind in ('CryptoSpecShallowRecrypt', 'CryptoSpecDeepRecrypt'):
            if disk.key is None:
                raise fault('InvalidState', 'The disk %s is not encrypted.' % disk.id)
            if not encrypting_policy:
                raise InvalidArgument('profile')
            return given, 'shallow recrypt' if kind == 'CryptoSpecShallowRecrypt' \
                else 'deep recrypt'
        return disk.key, None

    def RetrieveVStorageInfrastructureObjectPolicy(self, ctx, datastore):
        datastore_of(ctx.server, datastore)
        return []           # no datastore models vSAN infrastructure objects

    def UpdateVStorageInfrastructureObjectPolicy_Task(self, ctx, spec):
        ds = datastore_of(ctx.server, spec.datastore, 'spec.datastore')
        raise fault('InvalidDatastore', 'The datastore %s holds no vSAN infrastructure '
                    'objects.' % ds.name, datastore=ds.ref, name=ds.name)

    # -- snapshots' details and changed areas --------------------------------------------------
    def RetrieveSnapshotDetails(self, ctx, id, datastore, snapshotId):
        disk = self._read(ctx, id, datastore)
        snapshot = disk.entry['snapshots'][disk.snapshot(snapshotId)]
        return self.T.VStorageObjectSnapshotDetails(
            path=files.datastore_path(disk.ds, snapshot['path']),
            changedBlockTrackingId=snapshot.get('changeId'))

    def VstorageObjectVCenterQueryChangedDiskAreas(self, ctx, id, datastore, snapshotId,
                                                   startOffset, changeId):
        return catalog.changed_areas(self.T, self._read(ctx, id, datastore), snapshotId,
                                     startOffset, changeId)

    def RetrieveVStorageObjectAssociations(self, ctx, ids=()):
        """For each (id, datastore): the VM disks the disk is, or the fault finding it."""
        T = self.T
        found = []
        for spec in ids:
            try:
                disk = self._read(ctx, spec.id, spec.datastore)
            except ctx.server.schema.types['MethodFault'].cls as error:
                found.append(T.VStorageObjectAssociations(id=spec.id, fault=localized(error)))
                continue
            vm = disk.consumer()
            devices = [d for d in vm.disks() if getattr(d.vDiskId, 'id', None) == disk.id] \
                if vm is not None else []
            found.append(T.VStorageObjectAssociations(id=spec.id, vmDiskAssociations=[
                T.VStorageObjectAssociationsVmDiskAssociations(vmId=vm.ref.value,
                                                               diskKey=d.key)
                for d in devices]))
        return found

    # -- reconciling --------------------------------------------------------------------------
    def ScheduleReconcileDatastoreInventory(self, ctx, datastore, deepCleansing=None):
        """vCenter schedules it for the nearest future; here it is done at once."""
        ds = datastore_of(ctx.server, datastore)
        files.namespace(ctx.server).materialize()
        catalog.reconcile(ds)

    def ReconcileDatastoreInventoryEx_Task(self, ctx, spec):
        T = self.T
        ds = datastore_of(ctx.server, spec.datastore, 'spec.datastore')
        if spec.generateReport:
            raise not_supported()       # no reconcile report files
        files.namespace(ctx.server).materialize()

        def work(task):
            before, after, issues, invalid = catalog.reconcile_report(
                ds, spec.includeDiskPaths, spec.excludeDiskPaths, bool(spec.dryRun))
            host = next((h for h in ds.hosts if ds.accessible_on(h)), None)
            return T.VStorageObjectReconcileResult(reconcileDetails=[
                T.VStorageObjectReconcileResultReconcileDetail(
                    hostName=getattr(host, 'name', None), isReconciled=not spec.dryRun,
                    isDeepScanned=bool(spec.deepScan), numberOfReconcileIssues=issues,
                    numberOfFcdsBeforeReconcile=before, numberOfFcdsAfterReconcile=after,
                    invalidDiskPaths=[T.VStorageObjectReconcileResultInvalidDiskPath(
                        path=path, reason='The path names no file of datastore %s.' % ds.name)
                        for path in invalid])])
        return self._run(ctx, 'ReconcileDatastoreInventoryEx_Task', work)

    # -- virtual disk uuids ---------------------------------------------------------------------
    def QueryVirtualDiskUuidEx(self, ctx, name, datacenter=None):
        return disk_files.query_uuid(ctx.server, name, datacenter)

    def SetVirtualDiskUuidEx_Task(self, ctx, name, datacenter=None, uuid=None):
        """A new uuid when `uuid` is not given."""
        if uuid is not None:
            disk_files.check_uuid(uuid)
        disk_files.query_uuid(ctx.server, name, datacenter)      # faults before the task

        def work(task):
            disk_files.set_uuid(ctx.server, name, uuid or uuid_text(ctx.server.new_uuid()),
                                datacenter)
        return self._run(ctx, 'SetVirtualDiskUuidEx_Task', work)

    # -- tags ---------------------------------------------------------------------------------
    def _tag(self, ctx, category, tag):
        """The tagging model's tag named `tag` in the category named `category`."""
        tagging = ctx.server.tagging
        for found in tagging.tags.values():
            if found.name == tag and found.category.name == category:
                return found
        raise catalog.not_found('%s:%s' % (category, tag))

    def AttachTagToVStorageObject(self, ctx, id, category, tag):
        found = self._tag(ctx, category, tag)
        disk = catalog.find_anywhere(ctx.server, id)
        tags = self._live_tags(ctx, disk)
        if found.id in tags:
            return
        if found.category.cardinality == 'SINGLE' and any(
                ctx.server.tagging.tags[other].category is found.category for other in tags):
            raise InvalidArgument('tag', 'The disk %s already carries a tag of the single '
                                  'cardinality category %s.' % (disk.id, category))
        disk.entry['tags'] = tags + [found.id]
        disk.save()

    def DetachTagFromVStorageObject(self, ctx, id, category, tag):
        found = self._tag(ctx, category, tag)
        disk = catalog.find_anywhere(ctx.server, id)
        tags = self._live_tags(ctx, disk)
        if found.id not in tags:
            raise catalog.not_found('%s:%s' % (category, tag))
        disk.entry['tags'] = [t for t in tags if t != found.id]
        disk.save()

    def ListVStorageObjectsAttachedToTag(self, ctx, category, tag):
        found = self._tag(ctx, category, tag)
        files.namespace(ctx.server).materialize()
        return [self.T.ID(id=disk.id) for ds in files.datastores(ctx.server)
                for disk in catalog.disks_on(ds) if found.id in disk.entry.get('tags', ())]

    def ListTagsAttachedToVStorageObject(self, ctx, id):
        disk = catalog.find_anywhere(ctx.server, id)
        tags = ctx.server.tagging.tags
        return [self.T.VslmTagEntry(tagName=tags[t].name,
                                    parentCategoryName=tags[t].category.name)
                for t in self._live_tags(ctx, disk)]

    @staticmethod
    def _live_tags(ctx, disk):
        """The disk's tags the tagging service still has."""
        tags = ctx.server.tagging.tags
        return [t for t in disk.entry.get('tags', ()) if isinstance(t, str) and t in tags]


def _disk_file(server, path):
    """The DatastoreFile RegisterDisk's `path` names: a /folder URL, or a
    datastore path '[ds] dir/x.vmdk' (the call takes no datacenter: the
    first datastore of that name)."""
    if '://' in path:
        return files.resolve(server, path, None, 'path')
    parsed = files.split_path(path)
    if parsed is None:
        raise files.invalid_path(path)
    ds = next((d for d in files.datastores(server) if d.name == parsed[0]), None)
    if ds is None:
        raise fault('InvalidDatastore', "Invalid datastore '%s'." % parsed[0], name=parsed[0])
    return files.on_datastore(ds, parsed[1], path)
