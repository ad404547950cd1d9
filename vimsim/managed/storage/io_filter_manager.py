"""IoFilterManager: I/O filters (vSphere APIs for I/O Filtering) installed
on clusters from VIB packages, as vCenter (through ESX Agent Manager)
deploys them to each host of the cluster.

A filter is what its VIB's descriptor says (descriptor.xml in the VIB's ar
archive: name, vendor, version, summary, release date; its id is the VIB's,
vendor_type_name_version). The VIB is fetched from `vibUrl` (http or https
on a loopback address: all the simulator reaches) when the task runs; one
that cannot be fetched or read fails the task. The filters are kept per
cluster, with the last operation on each (`opType`) and the hosts where it
failed: a host that is not connected gets an issue (its fault, as
QueryIoFilterIssues answers) and ResolveInstallationErrorsOn* try it again.
A host carries a filter (HostConfigInfo.ioFilterInfo, `host_filters`) while
it is in the cluster and the filter's installation or upgrade reached it
(or its uninstallation did not); each host the filter reaches or leaves
gets vCenter's storage provider event. Simulated disks carry no filters
(VirtualDisk.iofilter), so no disk uses one. No simulated cluster is
managed by vLCM, so InitiateTransitionToVLCM_Task answers InvalidArgument.
ESXi has no IoFilterManager of its own: every call there is NotSupported.
"""
from lxml import etree
from twisted.internet.threads import deferToThread

from vimsim.managed.entity import data_types
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.monitoring.task import run_task
from vimsim.soap.fault import InvalidArgument, fault, localized

VIB_MAX = 64 << 20             # the most of a VIB read
AR_MAGIC = b'!<arch>\n'
AR_HEADER = 60
REGISTERED = 'com.vmware.vc.iofilter.HostVendorProviderRegistrationSuccessEvent'
UNREGISTERED = 'com.vmware.vc.iofilter.HostVendorProviderUnregistrationSuccessEvent'


def _unreadable(url, why):
    return fault('InvalidArgument', 'A specified parameter was not correct: vibUrl (%s: %s)'
                 % (url, why), invalidProperty='vibUrl')


def vib_fields(data, url):
    """The IO filter fields of a VIB's bytes (its descriptor.xml member)."""
    if not data.startswith(AR_MAGIC):
        raise _unreadable(url, 'not a VIB archive')
    offset = len(AR_MAGIC)
    while offset + AR_HEADER <= len(data):
        header = data[offset:offset + AR_HEADER]
        name = header[:16].decode('ascii', 'replace').strip().rstrip('/')
        try:
            size = int(header[48:58])
        except ValueError:
            break
        body = data[offset + AR_HEADER:offset + AR_HEADER + size]
        if name == 'descriptor.xml':
            return _descriptor(body, url)
        offset += AR_HEADER + size + (size & 1)
    raise _unreadable(url, 'no descriptor.xml')


def _descriptor(body, url):
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        raise _unreadable(url, 'descriptor.xml is no XML') from None

    def text(tag):
        found = root.findtext(tag)
        return found.strip() if found and found.strip() else None
    fields = {'name': text('name'), 'vendor': text('vendor'), 'version': text('version'),
              'summary': text('summary'), 'releaseDate': text('release-date')}
    if root.tag != 'vib' or not all(fields[k] for k in ('name', 'vendor', 'version')):
        raise _unreadable(url, 'descriptor.xml names no name, vendor and version')
    fields['id'] = '_'.join((fields['vendor'], text('type') or 'bootbank', fields['name'],
                             fields['version']))
    return fields


def read_vib(url):
    """(On a thread) the IO filter fields of the VIB at `url`."""
    from vimsim.managed.storage.http_nfc_lease import open_url
    with open_url(url) as response:
        data = response.read(VIB_MAX + 1)
    if len(data) > VIB_MAX:
        raise _unreadable(url, 'larger than %d bytes' % VIB_MAX)
    return vib_fields(data, url)


class IoFilter:
    """One filter of a cluster: its VIB's fields, the last operation on it
    and the hosts (moids) where that failed, with the fault."""

    def __init__(self, fields, vib_url):
        self.fields = fields
        self.vib_url = vib_url
        self.op_type = 'install'
        self.issues = {}

    id = property(lambda self: self.fields['id'])

    def on(self, host):
        """Whether `host` (of the filter's cluster) carries the filter."""
        failed = host.ref.value in self.issues
        return failed if self.op_type == 'uninstall' else not failed

    def cluster_info(self, T):
        return T.ClusterIoFilterInfo(opType=self.op_type, vibUrl=self.vib_url, **self.fields)

    def host_info(self, T):
        return T.HostIoFilterInfo(available=True, **self.fields)


def host_filters(host):
    """HostConfigInfo.ioFilterInfo: the filters of the host's cluster it carries."""
    ref = host.server.service_instance.content.ioFilterManager
    filters = getattr(host.server.objects.get(ref) if ref is not None else None, 'filters_of',
                      None)
    if filters is None or host.compute_resource is None:
        return []
    T = data_types(host.server)
    return [f.host_info(T) for f in filters(host.compute_resource).values() if f.on(host)]


@manager_type('IoFilterManager')
class IoFilterManager(Manager):

    @property
    def T(self):
        return data_types(self.server)

    def filters_of(self, cluster):
        """{filter id: IoFilter} of a cluster, ordered by installation (an
        empty one, not kept, when it has none)."""
        return self.__dict__.get('installed', {}).get(cluster.ref.value, {})

    def _compute_resource(self, ctx, ref, argument, cluster_only=True):
        if ctx.server.esx:
            raise fault('NotSupported', 'The operation is supported on vCenter Server only.')
        found = ctx.server.objects.get(ref)
        if found is None:
            raise fault('ManagedObjectNotFound', 'The object has already been deleted or has '
                        'not been completely created', obj=ref)
        kinds = ('ClusterComputeResource',) if cluster_only else (
            'ClusterComputeResource', 'ComputeResource')
        if found.type_name not in kinds:
            raise InvalidArgument(argument)
        return found

    def _filter(self, cluster, filter_id):
        found = self.filters_of(cluster).get(filter_id)
        if found is None:
            raise fault('NotFound', "The object or item referred to could not be found: '%s'."
                        % filter_id)
        return found

    # -- installing, upgrading, uninstalling ------------------------------------------------
    def _apply(self, task, cluster, io_filter, hosts):
        """Carry the filter's last operation out on `hosts` of the cluster: a
        host that is not connected gets an issue, the others the filter (or
        lose it), with the storage provider event."""
        for host in hosts:
            if host.connection_state != 'connected':
                io_filter.issues[host.ref.value] = localized(fault(
                    'HostNotConnected', 'Unable to communicate with the remote host, since it '
                    'is disconnected.'))
                continue
            io_filter.issues.pop(host.ref.value, None)
            task.post_event('EventEx', host, eventTypeId=UNREGISTERED if io_filter.op_type ==
                            'uninstall' else REGISTERED, severity='info',
                            message='IO filter %s on host %s' % (io_filter.id, host.name))
            host.changed('config')
        if io_filter.op_type == 'uninstall' and not io_filter.issues:
            del self.filters_of(cluster)[io_filter.id]

    def InstallIoFilter_Task(self, ctx, vibUrl, compRes, vibSslTrust=None):
        cluster = self._compute_resource(ctx, compRes, 'compRes')

        def install(task, fields):
            filters = self.__dict__.setdefault('installed', {}).setdefault(cluster.ref.value,
                                                                           {})
            if any(f.fields['name'] == fields['name'] and f.fields['vendor'] == fields['vendor']
                   for f in filters.values()):
                raise fault('AlreadyExists', "The specified key, name, or identifier '%s' "
                            'already exists.' % fields['id'], name=fields['id'])
            io_filter = filters[fields['id']] = IoFilter(fields, vibUrl)
            self._apply(task, cluster, io_filter, list(cluster.hosts))
            return io_filter.cluster_info(self.T)
        return self._with_vib(ctx, cluster, 'InstallIoFilter_Task', vibUrl, install)

    def _with_vib(self, ctx, cluster, method, url, then):
        """A task of `method` on the cluster: `then(task, fields)` with the
        fields of the VIB at `url`, fetched off the reactor."""
        def work(task):
            return deferToThread(read_vib, url).addCallback(lambda fields: then(task, fields))
        return run_task(ctx, cluster, method, work, this=self)

    def UpgradeIoFilter_Task(self, ctx, filterId, compRes, vibUrl, vibSslTrust=None):
        cluster = self._compute_resource(ctx, compRes, 'compRes')
        io_filter = self._pending_free(self._filter(cluster, filterId))

        def upgrade(task, fields):
            if (fields['name'], fields['vendor']) != (io_filter.fields['name'],
                                                      io_filter.fields['vendor']):
                raise _unreadable(vibUrl, 'the VIB is not a version of %s' % filterId)
            if fields['id'] == filterId:
                raise fault('InvalidState', 'The filter %s is already at version %s.'
                            % (filterId, fields['version']))
            filters = self.filters_of(cluster)
            del filters[filterId]
            io_filter.fields, io_filter.vib_url, io_filter.op_type = fields, vibUrl, 'upgrade'
            filters[io_filter.id] = io_filter
            self._apply(task, cluster, io_filter, list(cluster.hosts))
            return io_filter.cluster_info(self.T)
        return self._with_vib(ctx, cluster, 'UpgradeIoFilter_Task', vibUrl, upgrade)

    @staticmethod
    def _pending_free(io_filter):
        """InvalidState while the filter's last operation failed on some host."""
        if io_filter.issues:
            raise fault('InvalidState', 'The operation is not allowed in the current state: '
                        'the last %s of %s failed on some hosts.'
                        % (io_filter.op_type, io_filter.id))
        return io_filter

    def UninstallIoFilter_Task(self, ctx, filterId, compRes):
        cluster = self._compute_resource(ctx, compRes, 'compRes')
        io_filter = self._pending_free(self._filter(cluster, filterId))
        if self._disks_using(cluster, filterId):
            raise fault('FilterInUse', 'The filter %s is in use by virtual disks.' % filterId,
                        disk=self._disks_using(cluster, filterId))

        def work(task):
            io_filter.op_type = 'uninstall'
            self._apply(task, cluster, io_filter, list(cluster.hosts))
        return run_task(ctx, cluster, 'UninstallIoFilter_Task', work, this=self)

    # -- installation errors ------------------------------------------------------------------
    def ResolveInstallationErrorsOnHost_Task(self, ctx, filterId, host):
        found = ctx.server.objects.get(host)
        if getattr(found, 'type_name', None) != 'HostSystem':
            raise fault('ManagedObjectNotFound', 'The object has already been deleted or has '
                        'not been completely created', obj=host)
        cluster = found.compute_resource
        if cluster is None or cluster.type_name != 'ClusterComputeResource':
            raise InvalidArgument('host')
        return self._resolve(ctx, cluster, filterId, [found],
                             'ResolveInstallationErrorsOnHost_Task')

    def ResolveInstallationErrorsOnCluster_Task(self, ctx, filterId, cluster):
        cluster = self._compute_resource(ctx, cluster, 'cluster')
        return self._resolve(ctx, cluster, filterId, list(cluster.hosts),
                             'ResolveInstallationErrorsOnCluster_Task')

    def _resolve(self, ctx, cluster, filter_id, hosts, method):
        """Try the filter's last operation again on those of `hosts` where it
        failed; the task fails with the first host's fault that remains."""
        io_filter = self._filter(cluster, filter_id)

        def work(task):
            self._apply(task, cluster, io_filter,
                        [h for h in hosts if h.ref.value in io_filter.issues])
            remaining = [io_filter.issues[h.ref.value] for h in hosts
                         if h.ref.value in io_filter.issues]
            if remaining:
                raise remaining[0].fault
        return run_task(ctx, cluster, method, work, this=self)

    # -- reading ----------------------------------------------------------------------------
    def QueryIoFilterInfo(self, ctx, compRes):
        compute = self._compute_resource(ctx, compRes, 'compRes', cluster_only=False)
        if compute.type_name != 'ClusterComputeResource':
            return []           # filters are installed on clusters only
        return [f.cluster_info(self.T) for f in self.filters_of(compute).values()]

    def QueryIoFilterIssues(self, ctx, filterId, compRes):
        cluster = self._compute_resource(ctx, compRes, 'compRes')
        io_filter = self._filter(cluster, filterId)
        T = self.T
        return T.IoFilterQueryIssueResult(opType=io_filter.op_type, hostIssue=[
            T.IoFilterHostIssue(host=h.ref, issue=[io_filter.issues[h.ref.value]])
            for h in cluster.hosts if h.ref.value in io_filter.issues])

    def QueryDisksUsingFilter(self, ctx, filterId, compRes):
        cluster = self._compute_resource(ctx, compRes, 'compRes')
        self._filter(cluster, filterId)
        return self._disks_using(cluster, filterId)

    def _disks_using(self, cluster, filter_id):
        """VirtualDiskIds of the disks of the cluster's VMs whose filters include it."""
        T = self.T
        return [T.VirtualDiskId(vm=vm.ref, diskId=disk.key)
                for host in cluster.hosts for vm in list(host.vms) for disk in vm.disks()
                if filter_id in (disk.iofilter or ())]

    def InitiateTransitionToVLCM_Task(self, ctx, cluster):
        self._compute_resource(ctx, cluster, 'cluster')
        raise InvalidArgument('cluster')      # the transition is for vLCM clusters: none here
