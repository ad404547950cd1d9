"""A cluster's vSAN service: ClusterConfigSpecEx.vsanConfig through
ReconfigureComputeResource_Task (and CreateClusterEx) turns vSAN on and off
for every host of the cluster (host/vsan_system.py), with the cluster's
uuid (`vsanConfig.defaultConfig.uuid`, made when not given) and its
autoClaimStorage. The cluster's one vSAN datastore (`vsanDatastore`,
storage/vsan_datastore.py) exists while a host of the cluster runs vSAN,
mounted by those that do; a host moved into the cluster joins.

vCenter's refusals: switching vSAN on or off while HA is enabled
(CannotReconfigureVsanWhenHaEnabled), changing the uuid of an enabled
cluster (CannotChangeVsanClusterUuid), switching it off while VMs are on
the vSAN datastore (ResourceInUse), moving a vSAN-enabled host to another
cluster (CannotMoveVsanEnabledHost). vSAN ESA needs NVMe devices vSAN
certifies, which the simulated hosts' disks are not, and vSAN Cyber
Recovery needs ESA: both NotSupported.
"""
import re

from vimsim.managed.storage import datastore_files as files
from vimsim.managed.storage.datastore import unique_datastore_name
from vimsim.managed.storage.vsan_datastore import VsanDatastore, container_id
from vimsim.soap.fault import InvalidArgument, fault

DATASTORE_NAME = 'vsanDatastore'
_UUID = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-'
                   r'[0-9a-fA-F]{12}$')
ROLES = ('master', 'backup')        # the first two members; the others are agents


def valid_uuid(text):
    return isinstance(text, str) and bool(_UUID.match(text))


def _config(compute_resource):
    """The cluster's VsanClusterConfigInfo (None for a standalone host's)."""
    settings = getattr(compute_resource, 'settings', None)
    return getattr(settings, 'vsan', None)


def uuid_for(host, given=None):
    """The vSAN cluster uuid the host may join: its cluster's while vSAN is
    on there; on an ESXi host of its own, `given` or a new one (a one-node
    vSAN cluster, which ESXi makes and vCenter does not); else None."""
    config = _config(host.compute_resource)
    if config is None:
        return (given or new_uuid(host.server)) if host.server.esx else None
    return config.defaultConfig.uuid if config.enabled else None


def new_uuid(server):
    """A vSAN uuid as vSAN prints them (cluster, disk): 8-4-4-4-12, '52' first."""
    return '52' + server.new_uuid()[2:]


def members(host):
    """The vSAN nodes (HostVsanSystems) of the host's cluster that run vSAN."""
    nodes = [h.managers['vsanSystem'] for h in getattr(host.compute_resource, 'hosts', ())]
    return [node for node in nodes if node.enabled]


def role_of(host):
    nodes = [node.host for node in members(host)]
    index = nodes.index(host) if host in nodes else len(ROLES)
    return ROLES[index] if index < len(ROLES) else 'agent'


def datastore_of(host):
    return getattr(host.compute_resource, 'vsan_datastore', None)


def capacity_changed(host):
    """A node changed: the datastore's capacity and every member's view."""
    ds = datastore_of(host)
    for other in getattr(host.compute_resource, 'hosts', ()):
        other.changed('runtime')
    if ds is not None:
        ds.changed('summary', 'info')
        for member in ds.hosts:
            member.managers['storageSystem'].report('fileSystemVolumeInfo')


def check_reconfigure(cluster, spec, before, after):
    """Refuse what vCenter refuses of a change of `vsanConfig` (ClusterSettings
    before and after) and of `vsanHostConfigSpec`; give an enabled cluster
    its uuid. Returns the function that applies them once the settings are set."""
    old, new = before.vsan, after.vsan
    if new.vsanEsaEnabled:
        raise fault('NotSupported', 'vSAN ESA needs NVMe devices certified for vSAN; the '
                    'hosts of %s have none.' % cluster.name)
    if new.vsanCyberRecoveryEnabled:
        raise fault('NotSupported', 'vSAN Cyber Recovery needs vSAN ESA.')
    if bool(old.enabled) != bool(new.enabled) and before.das.enabled:
        raise fault('CannotReconfigureVsanWhenHaEnabled', 'vSAN cannot be turned %s while '
                    'vSphere HA is enabled on %s.' % ('on' if new.enabled else 'off',
                                                      cluster.name))
    old_uuid = old.defaultConfig.uuid if old.defaultConfig is not None else None
    given = new.defaultConfig.uuid if new.defaultConfig is not None else None
    if given is not None and not valid_uuid(given):
        raise InvalidArgument('spec.vsanConfig.defaultConfig.uuid')
    if old.enabled and new.enabled and given != old_uuid:
        raise fault('CannotChangeVsanClusterUuid', 'The vSAN cluster uuid of %s cannot '
                    'change while vSAN is enabled.' % cluster.name)
    if old.enabled and not new.enabled:
        for host in cluster.hosts:
            host.managers['vsanSystem'].check_leaving()
    if new.enabled and given is None:
        new.defaultConfig = new.defaultConfig or cluster.T.VsanClusterConfigInfoHostDefaultInfo(
            autoClaimStorage=False)
        new.defaultConfig.uuid = new_uuid(cluster.server)
    plans = [_host_plan(cluster, new, index, config)
             for index, config in enumerate(getattr(spec, 'vsanHostConfigSpec', None) or ())]

    def follow():
        sync(cluster)
        for plan in plans:
            plan()
    return follow


def _host_plan(cluster, config, index, host_config):
    """One vsanHostConfigSpec entry: a host of the cluster, whose `enabled`
    and cluster uuid, when given, are the cluster's own; the rest as
    UpdateVsan_Task takes it."""
    path = 'spec.vsanHostConfigSpec[%d]' % index
    host = next((h for h in cluster.hosts if h.ref == host_config.hostSystem), None)
    if host is None:
        raise InvalidArgument(path + '.hostSystem')
    if host_config.enabled is not None and host_config.enabled != bool(config.enabled):
        raise InvalidArgument(path + '.enabled')
    info = host_config.clusterInfo
    if info is not None and info.uuid is not None and (
            not config.enabled or info.uuid != config.defaultConfig.uuid):
        raise InvalidArgument(path + '.clusterInfo.uuid')
    return host.managers['vsanSystem'].planned(None, host_config, path, membership=False)


def sync(cluster):
    """Every host of the cluster runs vSAN as the cluster's configuration says."""
    config = _config(cluster)
    if config is None:
        return
    default = config.defaultConfig
    for host in cluster.hosts:
        node = host.managers['vsanSystem']
        if config.enabled:
            node.auto_claim = bool(default.autoClaimStorage)
            if not node.enabled:
                node.join(default.uuid)
            elif node.auto_claim:
                node.auto_claim_disks()
        elif node.enabled:
            node.leave()
    mount(cluster)


def check_move(host, target):
    """A vSAN-enabled host stays in its vSAN cluster."""
    if host.compute_resource is not target and host.managers['vsanSystem'].enabled:
        raise fault('CannotMoveVsanEnabledHost', 'Host %s runs vSAN in cluster %s.'
                    % (host.name, host.compute_resource.name))


def mount(cluster):
    """The vSAN datastore: made with the first host running vSAN, mounted by
    exactly those that do, gone with the last of them."""
    import shutil    # not at start (with bz2, lzma: 0.6 MB)
    if _config(cluster) is None and not cluster.server.esx:
        return
    running = [h for h in cluster.hosts if h.managers['vsanSystem'].enabled]
    ds = getattr(cluster, 'vsan_datastore', None)
    if ds is not None and cluster.server.objects.get(ds.ref) is not ds:
        ds = None               # it went with the last host that mounted it (Destroy_Task)
    if ds is None and running:
        system = running[0].managers['datastoreSystem']
        datacenter = system.datacenter()
        uuid = running[0].managers['vsanSystem'].cluster_uuid
        ds = VsanDatastore(cluster.server, system.new_moid('vsan:' + container_id(uuid)),
                           unique_datastore_name(datacenter, DATASTORE_NAME),
                           datacenter.datastore_folder, uuid)
        datacenter.datastore_folder.changed('childEntity')
        cluster.vsan_datastore = ds
    if ds is None:
        return
    for host in running:
        if host not in ds.hosts:
            host.managers['datastoreSystem'].mount(ds)
    for host in [h for h in ds.hosts if h not in running]:
        ds.hosts.remove(host)
        host.datastores.remove(ds)
        host.managers['datastoreSystem'].changed_mounts(ds)
    if not ds.hosts:
        cluster.vsan_datastore = None
        shutil.rmtree(files.directory(ds), ignore_errors=True)
        ds.leave_inventory()
    cluster.changed('datastore')
