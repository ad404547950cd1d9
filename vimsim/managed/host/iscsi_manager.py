"""IscsiManager: which VMkernel NICs an iSCSI adapter sends over (iSCSI
port binding, HostSystem.configManager.iscsiManager).

The adapter is any iSCSI HBA the host's storage system reports
(`storageDeviceInfo.hostBusAdapter` of type HostInternetScsiHba); another
name answers NotFound. A VMkernel NIC on a standard portgroup can be bound
when the portgroup's effective teaming has exactly one active uplink and no
standby one, as ESXi requires: none answers IscsiFaultVnicHasNoUplinks, more
IscsiFaultVnicHasMultipleUplinks; QueryVnicStatus reports the same as its
compliance. A NIC on a DVS port is not judged by the simulator and answers
IscsiFaultInvalidVnic. Bound NICs carry no session (no target is simulated),
so their path status is `notUsed` and unbinding never meets active paths;
a NIC removed from the host is no longer bound.
"""
from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.managed.host.host_network_system import PNIC_SLOTS, overlay
from vimsim.soap.fault import NotFound, fault, localized


def _iscsi_fault(type_name, device, message):
    return fault(type_name, message % device, vnicDevice=device)


class IscsiManager(HostManagerObject):
    type_name = 'IscsiManager'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.bound = {}          # HBA device -> [VMkernel NIC devices]

    # -- what the host's network says -----------------------------------------------
    def _hba(self, name):
        T = self.host.T
        for hba in self.host.managers['storageSystem'].storageDeviceInfo.hostBusAdapter:
            if isinstance(hba, T.HostInternetScsiHba) and hba.device == name:
                return hba
        raise NotFound('The host has no iSCSI adapter %s.' % name)

    def _vnic(self, device, missing='IscsiFaultInvalidVnic'):
        vnic = self.host.netconfig.vnics.get(device)
        if vnic is None:
            raise _iscsi_fault(missing, device, 'The host has no VMkernel NIC %s.')
        if not vnic.portgroup:
            raise _iscsi_fault('IscsiFaultInvalidVnic', device,
                               'The VMkernel NIC %s is on a distributed switch port.')
        return vnic

    def _uplinks(self, vnic):
        """The (active, standby) uplinks of a VMkernel NIC's portgroup."""
        state = self.host.netconfig
        spec = state.portgroups[vnic.portgroup]
        order = overlay(state.switches[spec.vswitchName].policy, spec.policy) \
            .nicTeaming.nicOrder
        return list(order.activeNic), list(order.standbyNic)

    def _problems(self, vnic):
        active, standby = self._uplinks(vnic)
        if not active:
            return [_iscsi_fault('IscsiFaultVnicHasNoUplinks', vnic.device,
                                 'The VMkernel NIC %s has no active uplink.')]
        if len(active) + len(standby) > 1:
            return [_iscsi_fault('IscsiFaultVnicHasMultipleUplinks', vnic.device,
                                 'The VMkernel NIC %s has more than one uplink.')]
        return []

    def _status(self, problems):
        return self.host.T.IscsiStatus(reason=[localized(problem) for problem in problems])

    def _port_info(self, vnic):
        state, T = self.host.netconfig, self.host.T
        spec = state.portgroups[vnic.portgroup]
        active, _ = self._uplinks(vnic)
        pnic = next((p for p in state.pnics() if active and p.device == active[0]), None)
        return T.IscsiPortInfo(
            vnicDevice=vnic.device,
            vnic=next(v for v in state.vnic_objects() if v.device == vnic.device),
            pnicDevice=pnic.device if pnic else None, pnic=pnic,
            switchName=spec.vswitchName, portgroupName=vnic.portgroup,
            complianceStatus=self._status(self._problems(vnic)), pathStatus='notUsed')

    def _bound(self, hba):
        """The NICs bound to an adapter that the host still has."""
        vnics = self.host.netconfig.vnics
        return [device for device in self.bound.get(hba, ()) if device in vnics]

    # -- methods ---------------------------------------------------------------
    def QueryVnicStatus(self, ctx, vnicDevice):
        return self._status(self._problems(self._vnic(vnicDevice)))

    def QueryPnicStatus(self, ctx, pnicDevice):
        if pnicDevice not in PNIC_SLOTS:
            raise fault('IscsiFault', 'The host has no physical NIC %s.' % pnicDevice)
        return self._status([])

    def QueryBoundVnics(self, ctx, iScsiHbaName):
        self._hba(iScsiHbaName)
        vnics = self.host.netconfig.vnics
        return [self._port_info(vnics[device]) for device in self._bound(iScsiHbaName)]

    def QueryCandidateNics(self, ctx, iScsiHbaName):
        self._hba(iScsiHbaName)
        bound = set(self._bound(iScsiHbaName))
        return [self._port_info(vnic) for vnic in self.host.netconfig.vnics.values()
                if vnic.portgroup and vnic.device not in bound and not self._problems(vnic)]

    def BindVnic(self, ctx, iScsiHbaName, vnicDevice):
        self._hba(iScsiHbaName)
        vnic = self._vnic(vnicDevice, missing='IscsiFaultVnicNotFound')
        bound = self._bound(iScsiHbaName)
        if vnicDevice in bound:
            raise _iscsi_fault('IscsiFaultVnicAlreadyBound', vnicDevice,
                               'The VMkernel NIC %s is already bound to the adapter.')
        problems = self._problems(vnic)
        if problems:
            raise problems[0]
        self.bound[iScsiHbaName] = bound + [vnicDevice]

    def UnbindVnic(self, ctx, iScsiHbaName, vnicDevice, force):
        self._hba(iScsiHbaName)
        bound = self._bound(iScsiHbaName)
        if vnicDevice not in bound:
            raise _iscsi_fault('IscsiFaultVnicNotBound', vnicDevice,
                               'The VMkernel NIC %s is not bound to the adapter.')
        bound.remove(vnicDevice)
        self.bound[iScsiHbaName] = bound

    def QueryMigrationDependencies(self, ctx, pnicDevice=()):
        """The bound NICs whose uplink is one of the physical NICs to move."""
        T, vnics = self.host.T, self.host.netconfig.vnics
        dependencies = [
            T.IscsiDependencyEntity(pnicDevice=uplink, vnicDevice=device, vmhbaName=hba)
            for hba in sorted(self.bound) for device in self._bound(hba)
            for uplink in self._uplinks(vnics[device])[0] if uplink in pnicDevice]
        return T.IscsiMigrationDependency(
            migrationAllowed=not dependencies, dependency=dependencies,
            disallowReason=self._status([_iscsi_fault(
                'IscsiFaultVnicInUse', d.vnicDevice, 'The VMkernel NIC %s is bound to an '
                'iSCSI adapter.') for d in dependencies]) if dependencies else None)
