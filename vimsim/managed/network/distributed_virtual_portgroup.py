"""DistributedVirtualPortgroup: a portgroup of a distributed switch, its
ports (in the switch's port table, dv_port.py) and its configuration;
NSX-backed when vcsim's -pg-nsx builds it.

Primary state: the binding type, the port list, the portgroup's own port
setting over the switch's default (`overrides`; an uplink portgroup's is a
VLAN trunk 0-4094), its policy and the previous configuration
(DVPortgroupRollback_Task). `config` is computed on read.
"""
import collections
import copy

from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.network.dv_port import (connect, connection_cookie, held_port, port_in_use,
                                            release_port)
from vimsim.managed.network.dv_port_setting import (invalid, merge_setting, overlay_setting,
                                                    trunk_vlan)
from vimsim.managed.network.network import (NSX_TRANSPORT_ZONE_NAME, Network,
                                            nsx_transport_zone_uuid, nsx_uuid)
from vimsim.soap.fault import fault

# DVPortgroupConfigSpec fields the portgroup takes (others answer NotSupported)
PORTGROUP_SPEC_FIELDS = ('configVersion', 'name', 'numPorts', 'portNameFormat',
                         'defaultPortConfig', 'description', 'type', 'backingType', 'scope',
                         'policy', 'vendorSpecificConfig', 'autoExpand',
                         'vmVnicNetworkResourcePoolKey', 'transportZoneUuid',
                         'transportZoneName', 'logicalSwitchUuid', 'segmentId', 'subnetId',
                         'nsxConfig')


class DistributedVirtualPortgroup(Network):
    type_name = 'DistributedVirtualPortgroup'

    def __init__(self, server, moid, name, folder, dvs, num_ports=8, uplink=False,
                 pg_type='earlyBinding', backing_type='standard'):
        super().__init__(server, moid, name, folder)
        T = self.T
        self.dvs = dvs
        self.key = moid
        self.uplink = uplink
        self.pg_type = pg_type
        self.backing_type = backing_type
        self.ports = []          # DvPort objects of dvs.ports, in key order
        self.free_from = 0       # where free_port's search starts
        # (registry removals, n): ports[:n] were all in use then; reset when a
        # port leaves `ports` (the indexes move) or is released
        self.full_below = (-1, 0)
        self.auto_expand = not uplink
        self.description = ''
        self.port_name_format = None
        self.vendor_config = []
        self.vnic_pool_key = '-1'
        self.config_version = 0
        self.overrides = T.VMwareDVSPortSetting(vlan=trunk_vlan(T)) if uplink else None
        self.policy = T.VMwareDVSPortgroupPolicy(
            blockOverrideAllowed=True, shapingOverrideAllowed=False,
            vendorConfigOverrideAllowed=False, livePortMovingAllowed=False,
            portConfigResetAtDisconnect=True, networkResourcePoolOverrideAllowed=False,
            trafficFilterOverrideAllowed=False, vlanOverrideAllowed=False,
            uplinkTeamingOverrideAllowed=False, securityPolicyOverrideAllowed=False,
            ipfixOverrideAllowed=False, macManagementOverrideAllowed=False)
        self.previous_config = None   # the configuration before the last change, as a spec
        self._unsettled = None   # the builder's VMs still to be given ports (settle)
        self._settling = False
        if pg_type != 'ephemeral':
            self.add_ports(num_ports)
        dvs.portgroups.append(self)
        if uplink:
            dvs.uplink_portgroup = self

    def changed(self, *names):
        """The switch's summary lists this portgroup's name and VMs: a change
        of either is the switch's too, whichever path made it (a VM leaving
        the inventory reports only its networks' `vm`)."""
        super().changed(*names)
        if not names or 'vm' in names or 'name' in names:
            self.dvs.changed('summary')

    # -- ports ----------------------------------------------------------------------------
    def add_ports(self, count, uplink_host=None, names=()):
        made = self.dvs.allocate_ports(self, count, uplink_host, names)
        self.ports.extend(made)
        self.changed('portKeys', 'config')
        return made

    def remove_port(self, port):
        release_port(port)
        if port in self.ports:
            self.ports.remove(port)
            self.full_below = (-1, 0)
        self.dvs.ports.pop(port.key, None)
        self.changed('portKeys', 'config')

    def ports_in_use(self):
        server = self.server
        return [port for port in self.ports if port_in_use(server, port)]

    @property
    def numPorts(self):
        return len(self.ports)

    @property
    def portKeys(self):
        return [port.key for port in self.ports]

    @property
    def port_keys(self):
        return self.portKeys

    def add_host(self, host):
        if host not in self.hosts:
            self.hosts.append(host)

    def settle(self, upto=None):
        """Give the VMs still on the computed default devices (the builder's)
        their ports, in the order they joined: so every read sees the same
        keys, whichever VM is read first. All of them before anything else
        connects; for a read of `upto`'s NIC, those up to it. The first need
        settles the rest as model work, a VM a step (ModelTime.cooperate): at
        10,000 VMs settling them all in the first read held the reactor 60-86 ms."""
        if self._unsettled is None:
            self._unsettled = collections.deque(self.vms)
            self.server.time.cooperate(self._settle_steps())
        pending = self._unsettled
        if self._settling or not pending:
            return
        self._settling = True   # the connects below would settle again
        try:
            server = self.server
            while pending:
                vm = pending.popleft()
                if getattr(vm, '_devices', True) is None and vm.network_object is self \
                        and server.objects.get(vm.ref) is vm and \
                        held_port(self, vm, '4000') is None:
                    connect(self, vm, '4000', 'vmVnic', None, vm.mac)
                if vm is upto:
                    return
        finally:
            self._settling = False

    def _settle_steps(self):
        while self._unsettled:
            self.settle(self._unsettled[0])
            yield

    def default_port(self, vm):
        """The port of a VM's first NIC on its computed default devices."""
        port = held_port(self, vm, '4000')
        if port is None:
            self.settle(vm)
            port = held_port(self, vm, '4000')
        return port if port is not None else connect(self, vm, '4000', 'vmVnic', None,
                                                      vm.mac)

    def nic_backing(self, vm):
        """The backing of a VM's default NIC on this portgroup."""
        T = self.T
        port = self.default_port(vm)
        return T.VirtualEthernetCardDistributedVirtualPortBackingInfo(
            port=T.DistributedVirtualSwitchPortConnection(
                switchUuid=self.dvs.uuid, portgroupKey=self.key, portKey=port.key,
                connectionCookie=connection_cookie(port)))

    def effective_setting(self):
        """This portgroup's default port setting: its own over the switch's."""
        base = self.dvs.default_port
        return merge_setting(self.T, base, self.overrides) if self.overrides is not None \
            else base

    # -- reads ----------------------------------------------------------------------------
    @property
    def summary(self):
        from vimsim.managed.admin.ip_pool_manager import pool_fields
        return self.T.NetworkSummary(network=self.ref, name=self.name, accessible=True,
                                     **pool_fields(self))

    @property
    def config(self):
        T = self.T
        return T.DVPortgroupConfigInfo(
            key=self.key, name=self.name, numPorts=self.numPorts,
            distributedVirtualSwitch=self.dvs.ref,
            defaultPortConfig=self.effective_setting(),
            description=self.description, type=self.pg_type, backingType=self.backing_type,
            policy=self.policy, portNameFormat=self.port_name_format,
            vendorSpecificConfig=self.vendor_config,
            configVersion=str(self.config_version), autoExpand=self.auto_expand,
            vmVnicNetworkResourcePoolKey=self.vnic_pool_key, uplink=self.uplink,
            **self.nsx_fields())

    def portgroup_info(self):
        """This portgroup as a config target lists it (DistributedVirtualPortgroupInfo)."""
        return self.T.DistributedVirtualPortgroupInfo(
            switchName=self.dvs.name, switchUuid=self.dvs.uuid, portgroupName=self.name,
            portgroupKey=self.key, portgroupType=self.pg_type, uplinkPortgroup=bool(self.uplink),
            portgroup=self.ref)

    def nsx_fields(self):
        """DVPortgroupConfigInfo's NSX fields: set for an NSX backed portgroup
        (a segment in the overlay transport zone), absent otherwise."""
        if self.backing_type != 'nsx':
            return {}
        return dict(transportZoneUuid=nsx_transport_zone_uuid(),
                    transportZoneName=NSX_TRANSPORT_ZONE_NAME,
                    logicalSwitchUuid=nsx_uuid('logical-switch', self.dvs.uuid, self.name),
                    segmentId='/infra/segments/vnet_%s' % nsx_uuid('segment', self.dvs.uuid,
                                                                   self.name))

    # -- configuration --------------------------------------------------------------
    def apply_spec(self, task, spec):
        """Install a checked DVPortgroupConfigSpec (a new name first: its
        faults come before anything changed); the builder's VMs hold their
        ports first, as they would had they been read."""
        T = self.T
        self.settle()
        if spec.name is not None and spec.name != self.name:
            self.rename(task, spec.name)
        if spec.type is not None and spec.type != self.pg_type:
            self.pg_type = spec.type
            if spec.type == 'ephemeral':
                for port in list(self.ports):
                    self.remove_port(port)
        if spec.numPorts is not None and self.pg_type != 'ephemeral':
            if spec.numPorts > len(self.ports):
                self.add_ports(spec.numPorts - len(self.ports))
            for port in self.ports[spec.numPorts:]:
                self.remove_port(port)
        if spec.defaultPortConfig is not None:
            self.overrides = overlay_setting(T, self.overrides, spec.defaultPortConfig)
        if spec.policy is not None:
            policy = copy.deepcopy(self.policy)
            for name in spec.policy._type._names:
                value = getattr(spec.policy, name, None)
                if value is not None and name in policy._type.field_map:
                    setattr(policy, name, value)
            self.policy = policy
        for field, attr in (('description', 'description'), ('autoExpand', 'auto_expand'),
                            ('portNameFormat', 'port_name_format'),
                            ('vmVnicNetworkResourcePoolKey', 'vnic_pool_key'),
                            ('backingType', 'backing_type')):
            value = getattr(spec, field, None)
            if value is not None:
                setattr(self, attr, value)
        if spec.vendorSpecificConfig:
            self.vendor_config = copy.deepcopy(spec.vendorSpecificConfig)
        self.config_version += 1

    def snapshot(self):
        """This portgroup's configuration as a spec (DVPortgroupRollback_Task
        returns the one before the last change)."""
        T = self.T
        return T.DVPortgroupConfigSpec(
            configVersion=str(self.config_version), name=self.name, numPorts=self.numPorts,
            portNameFormat=self.port_name_format,
            defaultPortConfig=copy.deepcopy(self.overrides) or T.VMwareDVSPortSetting(),
            description=self.description, type=self.pg_type, backingType=self.backing_type,
            policy=copy.deepcopy(self.policy), vendorSpecificConfig=list(self.vendor_config),
            autoExpand=self.auto_expand, vmVnicNetworkResourcePoolKey=self.vnic_pool_key)

    def check_spec(self, spec, path):
        for name in spec._type._names:
            value = getattr(spec, name, None)
            if name not in ('dynamicType', 'dynamicProperty') and value not in (None, []) \
                    and name not in PORTGROUP_SPEC_FIELDS:
                raise fault('NotSupported', 'The operation is not supported on the object: '
                            '%s.%s' % (path, name))
        if self.uplink and any(getattr(spec, n, None) is not None for n in (
                'type', 'numPorts', 'autoExpand', 'backingType')):
            raise fault('NotSupported', 'The operation is not supported on the object.')
        self.dvs.check_portgroup_spec(spec, path, self)

    def ReconfigureDVPortgroup_Task(self, ctx, spec):
        def work(task):
            if spec.configVersion is None:
                raise invalid('spec.configVersion')
            if spec.configVersion != str(self.config_version):
                raise fault('ConcurrentAccess', 'Cannot complete operation due to concurrent '
                            'modification by another operation.')
            self.reconfigure(task, spec)
            task.post_event('DVPortgroupReconfiguredEvent', self, configSpec=spec)
        return run_task(ctx, self, 'ReconfigureDVPortgroup_Task', work)

    def reconfigure(self, task, spec):
        """Check a whole spec, then apply it (ReconfigureDVPortgroup_Task's
        work once its configVersion is checked; an import's)."""
        self.check_spec(spec, 'spec')
        previous = self.snapshot()
        self.apply_spec(task, spec)
        self.previous_config = previous
        self.changed('config', 'portKeys', 'name', 'summary')
        self.dvs.changed('summary', 'config')

    def DVPortgroupRollback_Task(self, ctx, entityBackup=None):
        return rollback_task(ctx, self, 'DVPortgroupRollback_Task', entityBackup)

    # -- Destroy_Task ---------------------------------------------------------------------
    def Destroy_Task(self, ctx):
        """A portgroup no VM or vmknic is connected to leaves its switch
        (DVPortgroupDestroyedEvent); the uplink portgroup goes only with the
        switch."""
        self._check_destroyable()

        def leave(task):   # then destroy_unused's leave_inventory (below) drops the ports
            task.post_event('DVPortgroupDestroyedEvent', self)
        return self.destroy_unused(ctx, self.users, leave)

    def DestroyNetwork(self, ctx):
        """Destroy_Task answered at once, with the same rules and event."""
        self._check_destroyable()
        if self.users():
            raise self.in_use()
        event_manager(self.server).post('DVPortgroupDestroyedEvent', self, ctx=ctx)
        self.leave_inventory()

    def _check_destroyable(self):
        if self.uplink:
            raise fault('NotSupported', 'The operation is not supported on the object.')

    def users(self):
        return self.vms or self.ports_in_use()

    def drop_ports(self):
        for port in list(self.ports):
            self.remove_port(port)
        self.dvs.portgroups.remove(self)
        self.dvs.changed('portgroup', 'summary', 'config')

    def leave_inventory(self):
        """Go with the switch: out of the hosts, the datacenter and the folder."""
        self.drop_ports()
        for host in list(self.hosts):
            if self in host.networks:
                host.networks.remove(self)
                host.changed('network')
        datacenter = self.dvs.datacenter()
        if datacenter is not None and self in datacenter.networks:
            datacenter.networks.remove(self)
            datacenter.changed('network')
        parent = self.parent_object()
        if parent is not None:
            parent.remove_child(self)
            parent.changed('childEntity')
        self.destroy()


def rollback_task(ctx, entity, method, backup):
    """DVSRollback_Task and DVPortgroupRollback_Task: the entity's
    configuration before its last reconfiguration, as a spec to reconfigure
    with (RollbackFailure when it has none); restoring a backup blob is not
    simulated (NotSupported)."""
    def work(task):
        if backup is not None:
            raise fault('NotSupported', 'The operation is not supported on the object: '
                        'entityBackup')
        if entity.previous_config is None:
            raise fault('RollbackFailure', 'There is no configuration to roll back to.',
                        entityName=entity.name, entityType=entity.type_name)
        spec = copy.deepcopy(entity.previous_config)
        spec.configVersion = str(entity.config_version)
        return spec
    return run_task(ctx, entity, method, work)
