"""Where every VirtualMachineConfigSpec field goes.

`SPEC_FIELDS` names, for each field of the spec, how a reconfiguration takes
it, so that no field is silently dropped (tests/test_vm_fidelity.py walks the
spec type of the served schema against it; a field the WSDL gains later
fails that test until it has an entry):

- `vm`: VirtualMachine's own state, handled by the config plan itself;
- `setting`: stored and read back at `config.<name>`;
- `merged`: a data object merged field by field into `config.<name>` (a
  field the spec leaves unset keeps its value);
- ('merged', path) / ('setting', path): the same, read back at `config.<path>`;
- `arrayUpdate`: an ArrayUpdateSpec list applied to `config.<name>`;
- `vAppConfig`, `npiv`, `changeVersion`, `unsupported`: their own rules below.

The stored values (`VirtualMachine.settings`, {config path: value}) are laid
over the computed config when it is read.
"""
import copy

from vimsim.soap.fault import fault

SPEC_FIELDS = {
    'changeVersion': 'changeVersion', 'name': 'vm', 'version': 'vm', 'createDate': 'vm',
    'uuid': 'vm', 'instanceUuid': 'vm', 'guestId': 'vm', 'annotation': 'vm',
    'files': 'vm', 'numCPUs': 'vm', 'numCoresPerSocket': 'vm', 'memoryMB': 'vm',
    'memoryHotAddEnabled': 'vm', 'cpuHotAddEnabled': 'vm', 'cpuHotRemoveEnabled': 'vm',
    'deviceChange': 'vm', 'cpuAllocation': 'vm', 'memoryAllocation': 'vm',
    'extraConfig': 'vm', 'vmProfile': 'vm', 'crypto': 'vm',
    'npivNodeWorldWideName': 'npiv', 'npivPortWorldWideName': 'npiv',
    'npivWorldWideNameType': 'npiv', 'npivDesiredNodeWwns': 'npiv',
    'npivDesiredPortWwns': 'npiv', 'npivWorldWideNameOp': 'npiv',
    'npivTemporaryDisabled': 'setting', 'npivOnNonRdmDisks': 'setting',
    'locationId': 'setting', 'alternateGuestName': 'setting', 'rebootPowerOff': 'setting',
    'swapPlacement': 'setting', 'vAssertsEnabled': 'setting',
    'changeTrackingEnabled': 'setting', 'firmware': 'setting', 'maxMksConnections': 'setting',
    'guestAutoLockEnabled': 'setting', 'memoryReservationLockedToMax': 'setting',
    'nestedHVEnabled': 'setting', 'vPMCEnabled': 'setting',
    'messageBusTunnelEnabled': 'setting', 'migrateEncryption': 'setting',
    'ftEncryptionMode': 'setting', 'sevEnabled': 'setting', 'pmemFailoverEnabled': 'setting',
    'vmxStatsCollectionEnabled': 'setting', 'vmOpNotificationToAppEnabled': 'setting',
    'vmOpNotificationTimeout': 'setting', 'fixedPassthruHotPlugEnabled': 'setting',
    'metroFtEnabled': 'setting', 'metroFtHostGroup': 'setting', 'tdxEnabled': 'setting',
    'sevSnpEnabled': 'setting', 'repConfig': 'setting',
    'managedBy': 'setting', 'vcpuConfig': 'setting', 'cpuAffinity': 'setting',
    'memoryAffinity': 'setting',
    'virtualICH7MPresent': ('setting', 'hardware.virtualICH7MPresent'),
    'virtualSMCPresent': ('setting', 'hardware.virtualSMCPresent'),
    'motherboardLayout': ('setting', 'hardware.motherboardLayout'),
    'simultaneousThreads': ('setting', 'hardware.simultaneousThreads'),
    'tools': 'merged', 'flags': 'merged', 'consolePreferences': 'merged',
    'powerOpInfo': ('merged', 'defaultPowerOps'), 'latencySensitivity': 'merged',
    'networkShaper': 'merged', 'bootOptions': 'merged',
    'scheduledHardwareUpgradeInfo': 'merged', 'sgxInfo': 'merged',
    'guestMonitoringModeInfo': 'merged', 'deviceSwap': 'merged', 'pmem': 'merged',
    'deviceGroups': 'merged', 'virtualNuma': ('merged', 'numaInfo'),
    'cpuFeatureMask': 'arrayUpdate',
    'vAppConfig': 'vAppConfig', 'vAppConfigRemoved': 'vAppConfig',
    # services vimsim does not simulate: refused rather than dropped
    'tagSpecs': 'unsupported',
    'vmPlacementPolicies': 'unsupported',
    # kept by the fault tolerance methods (fault_tolerance.py), not set by a client
    'ftInfo': 'unsupported',
}

# settings a running VM cannot change (vCenter: InvalidPowerState)
COLD = frozenset(('firmware', 'nestedHVEnabled', 'vPMCEnabled', 'virtualICH7MPresent',
                  'virtualSMCPresent', 'motherboardLayout', 'simultaneousThreads',
                  'sevEnabled', 'tdxEnabled', 'sevSnpEnabled', 'virtualNuma',
                  'swapPlacement', 'vAssertsEnabled', 'sgxInfo', 'deviceSwap', 'pmem'))

# string settings whose values are an enum's
ENUM_OF = {'firmware': 'GuestOsDescriptorFirmwareType',
           'swapPlacement': 'VirtualMachineConfigInfoSwapPlacementType',
           'migrateEncryption': 'VirtualMachineConfigSpecEncryptedVMotionModes',
           'ftEncryptionMode': 'VirtualMachineConfigSpecEncryptedFtModes',
           'motherboardLayout': 'VirtualHardwareMotherboardLayout',
           'npivWorldWideNameType': 'VirtualMachineConfigSpecNpivWwnType'}

# VirtualMachineVirtualNuma's fields under VirtualMachineVirtualNumaInfo's names
_NUMA_NAMES = {'exposeVnumaOnCpuHotadd': 'vnumaOnCpuHotaddExposed'}


def invalid_argument(name):
    return fault('InvalidArgument', 'A specified parameter was not correct: %s' % name,
                 invalidProperty=name)


def given_fields(data):
    """(name, value) of the fields a request's data object sets (an empty
    array sets nothing: clients cannot tell it from an absent one)."""
    return [(name, getattr(data, name)) for name in data._type._names
            if name not in ('dynamicType', 'dynamicProperty')
            and getattr(data, name, None) not in (None, [])]


def _read(config, path):
    value = config
    for step in path.split('.'):
        value = getattr(value, step, None) if value is not None else None
    return value


def lay_over(config, settings):
    """Write stored settings over a freshly computed VirtualMachineConfigInfo."""
    for path, value in settings.items():
        owner, _, name = path.rpartition('.')
        setattr(_read(config, owner) if owner else config, name, value)
    return config


class SettingsPlan:
    """The settings part of one ConfigSpec: `plan()` checks it against the
    VM's current config and returns {config path: new value}."""

    def __init__(self, vm, spec, powered_on):
        self.vm = vm
        self.spec = spec
        self.on = powered_on
        self.schema = vm.server.schema
        self.T = vm.T

    def plan(self):
        spec = self.spec
        given = [(name, value) for name, value in given_fields(spec)
                 if SPEC_FIELDS.get(name) != 'vm']
        if not given:
            return {}
        config = self.vm.config
        out = {}
        for name, value in given:
            how = SPEC_FIELDS.get(name)
            if how is None:   # a field newer than this table: refused, never dropped
                raise fault('NotSupported', 'The operation is not supported on the object.')
            kind, path = how if isinstance(how, tuple) else (how, name)
            if name in COLD and self.on and value != _read(config, path):
                raise fault('InvalidPowerState', 'The attempted operation cannot be '
                            'performed in the current state (Powered on).',
                            requestedState='poweredOff', existingState='poweredOn')
            if kind == 'setting':
                self._check_enum(name, value)
                out[path] = copy.deepcopy(value)
            elif kind == 'merged':
                out[path] = self._merged(name, _read(config, path), value, path)
            elif kind == 'arrayUpdate':
                # a CPUID mask is one per (level, vendor); removeKey names a level
                out[path] = self._array_update(name, _read(config, path) or [], value,
                                               lambda info: (info.level, info.vendor),
                                               lambda info: info.level)
            elif kind in ('vAppConfig', 'npiv'):
                continue   # their fields go together: applied once, below
            elif kind == 'changeVersion':
                if value != config.changeVersion:
                    raise fault('ConcurrentAccess', 'The object has already been updated '
                                'by another client.')
            else:
                raise fault('NotSupported', 'The operation is not supported on the object.')
        if spec.vAppConfigRemoved or spec.vAppConfig is not None:
            out['vAppConfig'] = self._vapp_config(config.vAppConfig)
        if any(SPEC_FIELDS.get(name) == 'npiv' for name, _ in given):
            out.update(self._npiv(config))
        return out

    def _check_enum(self, name, value):
        enum = self.schema.enums.get(ENUM_OF.get(name, ''))
        if enum is not None and value not in enum.values:
            raise invalid_argument(name)

    def _merged(self, name, current, given, path):
        T = self.T
        target_type = type(current) if current is not None else None
        if target_type is None:
            info_field = self.schema.types['VirtualMachineConfigInfo'].field_map.get(path)
            target_type = getattr(T, info_field.type) if info_field is not None \
                else type(given)
        merged = copy.deepcopy(current) if current is not None else target_type()
        for field, value in given_fields(given):
            field = _NUMA_NAMES.get(field, field) if name == 'virtualNuma' else field
            if field not in merged._type.field_map:
                raise invalid_argument('%s.%s' % (name, field))
            setattr(merged, field, copy.deepcopy(value))
        if name == 'latencySensitivity' and merged.level is not None and \
                merged.level != 'custom':
            merged.sensitivity = None
        if name == 'virtualNuma' and given.coresPerNumaNode is not None:
            if given.coresPerNumaNode < 0:
                raise invalid_argument('virtualNuma.coresPerNumaNode')
            merged.autoCoresPerNumaNode = given.coresPerNumaNode == 0
        return merged

    def _array_update(self, name, current, updates, key_of, removed_by=None):
        """ArrayUpdateSpec semantics: add (a new key), edit (an existing one),
        remove (the items whose `removed_by` is removeKey); anything else is
        InvalidArgument."""
        removed_by = removed_by or key_of
        items = [copy.deepcopy(item) for item in current]
        for index, update in enumerate(updates):
            where = '%s[%d]' % (name, index)
            if update.operation == 'remove':
                found = [item for item in items if removed_by(item) == update.removeKey]
                if not found:
                    raise invalid_argument(where + '.removeKey')
                items = [item for item in items if item not in found]
                continue
            info = update.info
            if info is None or update.operation not in ('add', 'edit'):
                raise invalid_argument(where)
            existing = next((item for item in items if key_of(item) == key_of(info)), None)
            if update.operation == 'add':
                if existing is not None:
                    raise invalid_argument(where + '.info')
                items.append(copy.deepcopy(info))
            else:
                if existing is None:
                    raise invalid_argument(where + '.info')
                for field, value in given_fields(info):
                    setattr(existing, field, copy.deepcopy(value))
        return items

    def _vapp_config(self, current):
        """VmConfigSpec applied to config.vAppConfig (a VmConfigInfo);
        vAppConfigRemoved takes it away first."""
        spec = self.spec
        if spec.vAppConfigRemoved:
            current = None
        given = spec.vAppConfig
        if given is None:
            return None
        T = self.T
        info = copy.deepcopy(current) if current is not None else T.VmConfigInfo(
            product=[], property=[], ipAssignment=T.VAppIPAssignmentInfo(
                ipAllocationPolicy='fixedPolicy', supportedIpProtocol=['IPv4'],
                ipProtocol='IPv4'),
            eula=[], ovfSection=[], ovfEnvironmentTransport=[], installBootRequired=False,
            installBootStopDelay=0)
        for field in ('product', 'property', 'ovfSection'):
            if getattr(given, field):
                setattr(info, field, self._array_update(
                    'vAppConfig.' + field, getattr(info, field) or [], getattr(given, field),
                    lambda item: item.key))
        for field in ('ipAssignment', 'eula', 'ovfEnvironmentTransport',
                      'installBootRequired', 'installBootStopDelay'):
            value = getattr(given, field)
            if value is not None:
                setattr(info, field, copy.deepcopy(value))
        keys = [item.key for item in info.property or ()]
        if len(keys) != len(set(keys)):
            raise invalid_argument('vAppConfig.property')
        return info

    def _npiv(self, config):
        """npivWorldWideNameOp: generate (vCenter assigns WWNs), set (the
        spec's), remove (none), extend (more generated); the WWN fields
        without an op answer InvalidArgument, as they need one."""
        spec = self.spec
        operation = spec.npivWorldWideNameOp
        if operation is None:
            raise invalid_argument('npivWorldWideNameOp')
        if operation not in self.schema.enums['VirtualMachineConfigSpecNpivWwnOp'].values:
            raise invalid_argument('npivWorldWideNameOp')
        nodes = list(config.npivNodeWorldWideName or ())
        ports = list(config.npivPortWorldWideName or ())
        if operation == 'remove':
            return {'npivNodeWorldWideName': None, 'npivPortWorldWideName': None,
                    'npivWorldWideNameType': None}
        if operation == 'set':
            if not spec.npivNodeWorldWideName or not spec.npivPortWorldWideName:
                raise invalid_argument('npivNodeWorldWideName')
            return {'npivNodeWorldWideName': list(spec.npivNodeWorldWideName),
                    'npivPortWorldWideName': list(spec.npivPortWorldWideName),
                    'npivWorldWideNameType': 'external'}
        if operation == 'generate':
            nodes, ports = [], []
        base = 0x2800000000000000 | (self.vm.sequence << 8)   # vCenter's 28:00 WWN prefix
        for _ in range(spec.npivDesiredNodeWwns or 1):
            nodes.append(base + len(nodes))
        for _ in range(spec.npivDesiredPortWwns or 1):
            ports.append(base + 0x80 + len(ports))
        return {'npivNodeWorldWideName': nodes, 'npivPortWorldWideName': ports,
                'npivWorldWideNameType': 'vc'}
