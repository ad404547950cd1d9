"""What VM provisioning shares: the checks and placement steps that
Folder (CreateVM_Task, RegisterVM_Task, Destroy_Task ...), ResourcePool
(CreateResourcePool) and VirtualMachine (CloneVM_Task, RelocateVM_Task,
MigrateVM_Task, CustomizeVM_Task) all take, done one way.

Placement keeps every view of a relation in step: a VM's host, pool, folder
and datastore lists (`vm` of hosts, pools, datastores, networks), the folder's
`childEntity`, and the change hub (`changed`) so WaitForUpdates sees it.
"""
import ipaddress
import operator
import re

from vimsim.managed.entity import check_name  # noqa: F401 (provisioning's checks include it)
from vimsim.managed.vm.guest_os import GUEST_FAMILY
from vimsim.soap.fault import FileAlreadyExists, fault


# guest families customization supports (vCenter: UncustomizableGuest otherwise)
LINUX_GUESTS = ('linuxGuest',)
WINDOWS_GUESTS = ('windowsGuest',)


# -- checks and placement -------------------------------------------------------------

def is_a(server, obj, type_name):
    managed = server.schema.managed.get(obj.type_name)
    return managed is not None and managed.is_a(type_name)


def resolve_argument(ctx, ref, type_name, argument):
    """The object `ref` names, which must be a `type_name`: InvalidArgument
    naming `argument` otherwise (ManagedObjectNotFound when it is gone)."""
    obj = ctx.server.objects.resolve(ref)
    if not is_a(ctx.server, obj, type_name):
        raise fault('InvalidArgument', 'A specified parameter was not correct: %s' % argument,
                    invalidProperty=argument)
    return obj


def invalid_argument(name):
    return fault('InvalidArgument', 'A specified parameter was not correct: %s' % name,
                 invalidProperty=name)


def check_unique(folder, name, exclude=None):
    """DuplicateName when another child of `folder` (than `exclude`) is called `name`."""
    other = folder.child_named(name, exclude)
    if other is not None:
        raise fault('DuplicateName', "The name '%s' already exists." % name, name=name,
                    object=other.ref)


def next_sequence(server):
    """The next VM sequence number (MAC, IP): one past every VM made so far."""
    sequence = getattr(server, 'vm_sequence', None)
    if sequence is None:
        sequence = 1 + max((getattr(obj, 'sequence', -1)
                            for obj in server.objects.of_type('VirtualMachine')), default=-1)
    server.vm_sequence = sequence + 1
    return sequence


def event_argument(server, type_name, field, obj):
    return server.schema.types[type_name].cls(name=obj.name, **{field: obj.ref})


def host_usable(host):
    """(fault or None) for a host a VM should run on: connected, powered on
    (not in standby) and out of maintenance mode."""
    state = getattr(host, 'connection_state', 'connected')
    if state != 'connected':
        return fault('HostNotConnected', 'Unable to communicate with the remote host, since '
                     'it is disconnected.')
    if getattr(host, 'maintenance', False) \
            or getattr(host, 'power_state', 'poweredOn') != 'poweredOn':
        return fault('InvalidHostState', 'The operation is not allowed in the current state of '
                     'the host.', host=host.ref)
    return None


def pick_host(compute, datastore=None, network=None, prefer=None):
    """DRS-like initial placement: a connected host, not in maintenance mode,
    that mounts `datastore` and sees `network`, with the fewest VMs (`prefer`
    wins when it qualifies)."""
    candidates = [h for h in compute.hosts if host_usable(h) is None
                  and (datastore is None or datastore in h.datastores)
                  and (network is None or network in h.networks)]
    if not candidates:
        return None
    if prefer in candidates:
        return prefer
    return min(candidates, key=lambda h: (len(h.vms), compute.hosts.index(h)))


def detach_vm(vm):
    """Take a VM out of the inventory: its folder, pool, host, datastores,
    networks, then the registry (which reports it gone)."""
    folder = vm.parent_object()
    if folder is not None and hasattr(folder, 'remove_child'):
        folder.remove_child(vm)
        folder.changed('childEntity')
    for holder, name in ((vm.pool, 'vm'), (vm.host, 'vm')):
        if holder is not None and vm in holder.vms:
            holder.vms.remove(vm)
            holder.changed(name, 'summary')
    for ds in list(getattr(vm, 'datastore_objects', lambda: [vm.datastore_object])()):
        if vm in ds.vms:
            ds.vms.remove(vm)
            ds.changed('vm', 'summary', 'info')
    if vm.datastore_object is not None and vm in vm.datastore_object.vms:
        vm.datastore_object.vms.remove(vm)
        vm.datastore_object.changed('vm', 'summary', 'info')
    networks = getattr(vm, 'network_objects', lambda: [vm.network_object])()
    for network in list(networks) + [vm.network_object]:
        if network is not None and vm in network.vms:
            network.vms.remove(vm)
            network.changed('vm')
    tree = getattr(vm, 'snapshot_tree', None)
    if tree is not None:
        tree.destroy_all()
    vm.destroy()


def adopt_into_vapp(pool, vm):
    adopt = getattr(pool, 'adopt', None)
    if adopt is not None and getattr(pool, 'type_name', '') == 'VirtualApp':
        adopt(vm)


def post_identity_events(task, vm):
    task.post_event('VmUuidAssignedEvent', vm, uuid=vm.uuid)
    task.post_event('VmInstanceUuidAssignedEvent', vm, instanceUuid=vm.instance_uuid)
    for nic in vm_nics(vm):
        if nic.macAddress:
            task.post_event('VmMacAssignedEvent', vm, adapter=nic.deviceInfo.label
                            if nic.deviceInfo is not None else '', mac=nic.macAddress)


def vm_nics(vm):
    nics = getattr(vm, 'nics', None)
    if nics is not None:
        return nics()
    Card = vm.T.VirtualEthernetCard
    return [d for d in vm.devices() if isinstance(d, Card)]


def unregistered(server):
    """{vmx path: VirtualMachine} of VMs taken out of the inventory with their
    files kept (UnregisterVM, UnregisterAndDestroy): RegisterVM_Task's source."""
    store = getattr(server, 'unregistered_vms', None)
    if store is None:
        store = server.unregistered_vms = {}
    return store


def home_path(ds_name, directory):
    """'[ds] dir/', the datastore path a VM's files in `directory` are named
    from ('[ds] ' for one at the datastore's top)."""
    return '[%s] %s' % (ds_name, directory + '/' if directory else '')


def vm_home(vm, ds, path):
    """(directory, file stem, namespace object to make or None) of a new VM's
    files on `ds` from the rest of its vmPathName `path`, as vCenter places
    them: none names a directory after the VM, or 'name_1', 'name_2', ...
    while another VM's files are in it; 'dir' puts the files there,
    'dir/stem.vmx' names them too, 'stem.vmx' puts them at the datastore's
    top, and any answers FileAlreadyExists when that .vmx is another VM's.
    Directories are named as clients see them, then placed by the datastore
    (`place_home`: on vSAN the top one is a namespace object, made for the
    VM when it names none). Only the model's VMs (registered or not) count,
    so a replayed journal places a VM where it was first placed."""
    name = vm.file_name
    path = (path or '').strip().strip('/')
    if not path:
        directory, stem = _free_directory(vm, ds, name), name
    else:
        directory, _, leaf = path.rpartition('/')
        if leaf.endswith('.vmx'):
            stem = leaf[:-len('.vmx')]
        else:
            directory, stem = path, name
        if (directory, stem) in _homes(vm, ds):
            raise FileAlreadyExists('%s%s.vmx' % (home_path(ds.name, directory), stem))
    placed, namespace = ds.place_home(directory, stem)
    return placed, stem, namespace


def _free_directory(vm, ds, name):
    """`name`, or the first of 'name_1', 'name_2', ... that no other VM's
    home on `ds` is in. A new VM's name is mostly free: the directory names
    of the VMs listed on `ds` are looked through first, a fifth of the cost
    of collecting every home (1.8 ms per create at 10,000 VMs)."""
    others = operator.countOf(ds.home_directories(), name)
    if others and ds.alias_path(vm.dir_name) == name and vm in ds.vms:
        others -= 1   # the VM itself, listed before it is placed
    if not others and all(directory != name
                          for directory, _ in _unregistered_homes(vm.server, ds)):
        return name
    taken = {directory for directory, _ in _homes(vm, ds)}
    directory, n = name, 1
    while directory in taken:
        directory = '%s_%d' % (name, n)
        n += 1
    return directory


def _homes(vm, ds):
    """{(directory, file stem)} of every other VM's home on `ds`."""
    homes = {(ds.alias_path(other.dir_name), other.file_name) for other in ds.vms
             if other is not vm and other.datastore_object is ds}
    homes.update(_unregistered_homes(vm.server, ds))
    return homes


def _unregistered_homes(server, ds):
    """(directory, file stem) of each unregistered VM's home on `ds`."""
    prefix = '[%s] ' % ds.name
    for saved in unregistered(server):
        if saved.startswith(prefix):
            directory, _, leaf = saved[len(prefix):].rpartition('/')
            yield ds.alias_path(directory), leaf[:-len('.vmx')]


def unregister_vm(vm):
    """Remove a VM from the inventory, keeping its files for RegisterVM_Task."""
    path = vm.file_path('.vmx')
    detach_vm(vm)
    unregistered(vm.server)[path] = vm


# -- customization --------------------------------------------------------------------
def guest_family(guest_id):
    """The guest family of a guest id, from the catalogue or its name."""
    family = GUEST_FAMILY.get(guest_id)
    if family is not None:
        return family
    if guest_id.startswith('win'):
        return 'windowsGuest'
    if any(word in guest_id for word in ('linux', 'Linux', 'ubuntu', 'rhel', 'centos', 'debian',
                                         'sles', 'oracle', 'photon', 'fedora', 'rocky', 'alma',
                                         'amazon')):
        return 'linuxGuest'
    return 'otherGuestFamily'


def is_customizable(guest_id):
    """Whether customization supports the guest OS (IsGuestOsCustomizable)."""
    return guest_family(guest_id) in LINUX_GUESTS + WINDOWS_GUESTS


def check_customization(vm, spec):
    """The identity a CustomizationSpec valid for `vm` gives the guest:
    {'hostName', 'domain', 'ips', 'prefixes', 'gateways', 'dnsServers',
    'dnsSuffixes'} (per NIC lists for ips and prefixes); raise the
    CustomizationFault subtype vCenter gives otherwise."""
    T = vm.T
    identity = spec.identity
    family = guest_family(vm.guest_id)
    linux = isinstance(identity, (T.CustomizationLinuxPrep,) + _optional(T, 'CustomizationCloudinitPrep'))
    windows = isinstance(identity, (T.CustomizationSysprep, T.CustomizationSysprepText))
    if family not in LINUX_GUESTS + WINDOWS_GUESTS or (linux and family != 'linuxGuest') \
            or (windows and family != 'windowsGuest'):
        raise fault('UncustomizableGuest', 'Customization of the guest operating system '
                    "'%s' is not supported in this configuration." % vm.guest_id,
                    uncustomizableGuestOS=vm.guest_id)
    if not (linux or windows):
        raise fault('CustomizationFault', 'The customization specification has no valid '
                    'identity settings.')
    nic_count = len(vm_nics(vm))
    settings = spec.nicSettingMap or []
    if len(settings) != nic_count:
        raise fault('NicSettingMismatch', 'The number of network adapter settings in the '
                    'customization specification: %d does not match the number of network '
                    'adapters present in the virtual machine: %d.' % (len(settings), nic_count),
                    numberOfNicsInSpec=len(settings), numberOfNicsInVM=nic_count)
    ips, prefixes, gateways = [], [], []
    dns_servers = list(spec.globalIPSettings.dnsServerList or []) \
        if spec.globalIPSettings is not None else []
    for index, setting in enumerate(settings):
        adapter = setting.adapter
        generator = adapter.ip if adapter is not None else None
        if adapter is not None:
            dns_servers.extend(a for a in adapter.dnsServerList or () if a not in dns_servers)
            gateways.extend(adapter.gateway or ())
        prefixes.append(None)
        if isinstance(generator, T.CustomizationFixedIp):
            if not _valid_ipv4(generator.ipAddress):
                raise fault('CustomizationFault', "Invalid IP address '%s'."
                            % generator.ipAddress)
            if adapter.subnetMask is not None:
                prefixes[-1] = _prefix_length(adapter.subnetMask)
            ips.append(generator.ipAddress)
        elif isinstance(generator, (T.CustomizationUnknownIpGenerator,
                                    T.CustomizationCustomIpGenerator)):
            raise fault('IpHostnameGeneratorError', 'Error generating the IP address or the '
                        'host name for the virtual machine.')
        else:   # DHCP: the guest keeps the address it gets
            ips.append(None)
    for address in dns_servers + gateways:
        if not _valid_ip(address):
            raise fault('CustomizationFault', "Invalid IP address '%s'." % address)
    if linux:
        name_gen = identity.hostName
        domain = identity.domain
        if not domain and isinstance(identity, T.CustomizationLinuxPrep):
            raise fault('CustomizationFault', 'The domain is required for Linux '
                        'customization.')
    elif isinstance(identity, T.CustomizationSysprep):
        name_gen = identity.userData.computerName if identity.userData is not None else None
        domain = identity.identification.joinDomain \
            if identity.identification is not None else None
    else:
        name_gen, domain = None, None
    host_name = None
    if isinstance(name_gen, T.CustomizationFixedName):
        host_name = name_gen.name
        if not re.match(r'^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$', host_name or ''):
            raise fault('CustomizationFault', "Invalid host name '%s'." % host_name)
    elif isinstance(name_gen, T.CustomizationVirtualMachineName):
        host_name = re.sub(r'[^A-Za-z0-9-]', '-', vm.name)[:63]
    elif isinstance(name_gen, T.CustomizationPrefixName):
        host_name = '%s-%d' % (name_gen.base, vm.sequence)
    elif isinstance(name_gen, (T.CustomizationUnknownName, T.CustomizationCustomName)):
        raise fault('IpHostnameGeneratorError', 'Error generating the IP address or the host '
                    'name for the virtual machine.')
    return {'hostName': host_name, 'domain': domain, 'ips': ips, 'prefixes': prefixes,
            'gateways': gateways, 'dnsServers': dns_servers,
            'dnsSuffixes': list(spec.globalIPSettings.dnsSuffixList or [])
            if spec.globalIPSettings is not None else []}


def _optional(T, name):
    try:
        return (getattr(T, name),)
    except AttributeError:
        return ()


def _valid_ipv4(text):
    parts = (text or '').split('.')
    return len(parts) == 4 and all(p.isdigit() and 0 <= int(p) <= 255 for p in parts)


def _valid_ip(text):
    """An IPv4 or IPv6 address (DNS servers and gateways may be either)."""
    try:
        ipaddress.ip_address(text or '')
    except ValueError:
        return False
    return True


def _prefix_length(mask):
    """The prefix length of a dotted subnet mask; CustomizationFault for one
    that is no mask (its ones not contiguous)."""
    if _valid_ipv4(mask):
        bits = int(ipaddress.IPv4Address(mask))
        ones = bin(bits).count('1')
        if bits == (0xFFFFFFFF << (32 - ones)) & 0xFFFFFFFF:
            return ones
    raise fault('CustomizationFault', "Invalid subnet mask '%s'." % mask)
