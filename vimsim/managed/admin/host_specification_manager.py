"""HostSpecificationManager (ServiceContent.hostSpecManager): the host
specifications vCenter keeps for hosts (what a host needs at boot to set
up its devices and services, in named sub-specifications of opaque data).

Every update takes a change ID `<start>:<n>` (the manager's start time in
seconds, and a counter from it), which HostSpecGetUpdatedHosts ranges
over. A connected host holds a copy of its specification as it was last
pushed to it (`fromHost`); one updated while the host was not connected
keeps the host's older copy until the next update while it is.
HostSpecificationOperationFailed answers a host that has none.
"""
import copy

from vimsim import clock
from vimsim.managed.admin.host_profile_settings import host_argument
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.soap.fault import InvalidArgument, fault


def operation_failed(host, text):
    return fault('HostSpecificationOperationFailed', text, host=host)


@manager_type('HostSpecificationManager')
class HostSpecificationManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.start = int(server.model_built.timestamp())
        self.changes = 0                  # the last change number handed out
        self.specs = {}                   # host ref -> HostSpecification
        self.on_host = {}                 # host ref -> the copy the host holds
        self.changed_at = {}              # host ref -> the change numbers of its updates

    def _post(self, ctx, type_name, host, **fields):
        event_manager(self.server).post(type_name, host, ctx=ctx, **fields)

    def _stored(self, host, spec):
        """Keep `spec` as the host's with a new change ID; pushed to the host
        when it is connected."""
        self.changes += 1
        spec.changeID = '%d:%d' % (self.start, self.changes)
        self.specs[host.ref] = spec
        self.changed_at.setdefault(host.ref, []).append(self.changes)
        if host.connection_state == 'connected':
            self.on_host[host.ref] = copy.deepcopy(spec)

    @staticmethod
    def _checked_subspecs(subspecs, where):
        names = [sub.name for sub in subspecs]
        if any(not name for name in names) or len(set(names)) != len(names):
            raise InvalidArgument(where)
        return copy.deepcopy(list(subspecs))

    def UpdateHostSpecification(self, ctx, host, hostSpec):
        target = host_argument(self.server, host)
        if hostSpec.host != host:
            raise InvalidArgument('hostSpec.host')
        now = clock.now()
        previous = self.specs.get(host)
        spec = self.server.schema.types['HostSpecification'].cls(
            createdTime=previous.createdTime if previous is not None else now,
            lastModified=now, host=host,
            subSpecs=self._checked_subspecs(hostSpec.subSpecs, 'hostSpec.subSpecs'))
        self._stored(target, spec)
        self._post(ctx, 'HostSpecificationUpdateEvent', target, hostSpec=copy.deepcopy(spec))

    def UpdateHostSubSpecification(self, ctx, host, hostSubSpec):
        target = host_argument(self.server, host)
        [sub] = self._checked_subspecs([hostSubSpec], 'hostSubSpec.name')
        now = clock.now()
        previous = self.specs.get(host)
        kept = [s for s in previous.subSpecs if s.name != sub.name] if previous else []
        spec = self.server.schema.types['HostSpecification'].cls(
            createdTime=previous.createdTime if previous is not None else now,
            lastModified=now, host=host, subSpecs=kept + [sub])
        self._stored(target, spec)
        self._post(ctx, 'HostSubSpecificationUpdateEvent', target,
                   hostSubSpec=copy.deepcopy(sub))

    def RetrieveHostSpecification(self, ctx, host, fromHost):
        target = host_argument(self.server, host)
        if fromHost:
            if target.connection_state != 'connected':
                raise operation_failed(host, 'The host %s is not connected.' % target.name)
            found = self.on_host.get(host)
        else:
            found = self.specs.get(host)
        if found is None:
            raise operation_failed(host, 'The host %s has no host specification.' % target.name)
        return copy.deepcopy(found)

    def DeleteHostSubSpecification(self, ctx, host, subSpecName):
        target = host_argument(self.server, host)
        spec = self.specs.get(host)
        if spec is None or subSpecName not in [s.name for s in spec.subSpecs]:
            raise operation_failed(host, 'The host %s has no sub-specification %s.' % (
                target.name, subSpecName[:80]))
        spec = copy.deepcopy(spec)
        spec.subSpecs = [s for s in spec.subSpecs if s.name != subSpecName]
        spec.lastModified = clock.now()
        self._stored(target, spec)
        self._post(ctx, 'HostSubSpecificationDeleteEvent', target, subSpecName=subSpecName)

    def DeleteHostSpecification(self, ctx, host):
        target = host_argument(self.server, host)
        if self.specs.pop(host, None) is None:
            raise operation_failed(host, 'The host %s has no host specification.' % target.name)
        self.changes += 1
        self.changed_at.setdefault(host, []).append(self.changes)
        if target.connection_state == 'connected':
            self.on_host.pop(host, None)
        self._post(ctx, 'HostSpecificationChangedEvent', target)

    def HostSpecGetUpdatedHosts(self, ctx, startChangeID=None, endChangeID=None):
        """The hosts whose specification changed after `startChangeID` up to
        `endChangeID` (either end open when unset; an ID of an earlier start
        of the manager is before every change of this one)."""
        after = self._change_number(startChangeID, 'startChangeID', 0)
        until = self._change_number(endChangeID, 'endChangeID', self.changes)
        live = self.server.objects.get
        updated = [(next(n for n in numbers if after < n <= until), ref)
                   for ref, numbers in self.changed_at.items()
                   if any(after < n <= until for n in numbers) and live(ref) is not None]
        return [ref for _, ref in sorted(updated)]

    def _change_number(self, change_id, name, default):
        if change_id is None:
            return default
        start, colon, number = change_id.partition(':')
        if not colon or not start.isdigit() or not number.isdigit():
            raise InvalidArgument(name)
        return int(number) if int(start) == self.start else 0
