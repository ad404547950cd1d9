"""VirtualApp: a vApp, the resource pool subtype vcsim's `-app` builds.

Where a vApp sits, as vCenter places it:

- `parent` is the resource pool it was created in (vcsim: the cluster's root
  pool), whose `resourcePool` lists it, so the host tree shows it:
  /DC0/host/DC0_C0/Resources/DC0_C0_APP0.
- `parentFolder` is the datacenter's VM folder, whose `childEntity` lists it,
  so the VM tree shows it too: /DC0/vm/DC0_C0_APP0.
- Its VMs have no `parent` ("null ... for VirtualMachine objects that are part
  of a VirtualApp"), their `parentVApp` and `resourcePool` are the vApp, and
  they are listed only in the vApp's `vm`, not in any folder.

- A child vApp (CreateVApp on a vApp) has no `parentFolder`; its
  `parentVApp` is the vApp above it.

Primary state: the pool's (links, allocation) plus the products, properties,
annotation, instance uuid and each member's start/stop settings. `vAppConfig`,
`summary` (VirtualAppSummary), `datastore` and `network` are computed on read
from the VMs, so they always agree with the VMs' own placement.

PowerOnVApp_Task starts the members group by group in ascending `startOrder`
(members with startAction `none` are left alone); PowerOffVApp_Task and
SuspendVApp_Task go through the groups in the reverse order, by each member's
`stopAction` unless forced. The start and stop delays are reported as
configured but not waited for: a task takes no simulated time.

CreateChildVM_Task and RegisterChildVM_Task run Folder's CreateVM_Task and
RegisterVM_Task work with the vApp as the pool; CloneVApp_Task copies the vApp
and clones its VMs through VirtualMachine.clone_to.
"""
import copy
import uuid as uuid_module

from vimsim.managed.entity import refs
from vimsim.managed.inventory.cluster_config import merged
from vimsim.managed.inventory.resource_pool import ResourcePool
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.vm.power_sequence import start_vm, stop_vm
from vimsim.managed.vm.provisioning import (check_name, detach_vm, host_usable, invalid_argument,
                                            is_a, pick_host, resolve_argument, unregister_vm)
from vimsim.managed.vm.vm_task import invalid_state
from vimsim.soap.fault import fault

_NAMESPACE = uuid_module.UUID('5e0c1a7d-2b3f-4a6e-9c1d-7f8e9a0b1c2d')

# vcsim's NewVAppConfigSpec(): annotation and the one product it gives a vApp
ANNOTATION = 'vcsim'
PRODUCT = dict(name='vcsim', vendor='VMware', vendorUrl='http://www.vmware.com/', version='0.1')

# vCenter's start/stop defaults for a VM added to a vApp
START_DELAY = 120
STOP_DELAY = 120


def _unique(objects):
    seen = {}
    for obj in objects:
        if obj is not None:
            seen.setdefault(obj.ref, obj)
    return list(seen.values())


# what a member starts with (VAppEntityConfigInfo fields)
VM_SETTINGS = dict(startOrder=1, startDelay=START_DELAY, waitingForGuest=False,
                   startAction='powerOn', stopDelay=STOP_DELAY, stopAction='powerOff',
                   destroyWithParent=True)
CHILD_VAPP_SETTINGS = dict(VM_SETTINGS, startDelay=0, stopDelay=0)
START_ACTIONS = ('none', 'powerOn')
STOP_ACTIONS = ('none', 'powerOff', 'guestShutdown', 'suspend')
# VAppConfigSpec parts this simulator does not model: refused rather than dropped
UNSUPPORTED_CONFIG = ('ovfSection', 'managedBy')
# VAppCloneSpec parts not modelled either (the clone keeps its members' networks,
# property values and disk formats)
UNSUPPORTED_CLONE = ('networkMapping', 'property', 'resourceMapping', 'provisioning')
# what CloneVApp_Task copies of the source's configuration (copied, not shared)
COPIED_CONFIG = ('annotation', 'products', 'properties', 'ip_assignment', 'eula',
                 'ovf_environment_transport', 'install_boot_required',
                 'install_boot_stop_delay')


class VirtualApp(ResourcePool):
    type_name = 'VirtualApp'

    def __init__(self, server, moid, name, parent_pool, owner, vm_folder, allocation=None,
                 annotation=ANNOTATION, product=PRODUCT):
        """`parent_pool`: the pool (or vApp) it is created in; `vm_folder`: its
        `parentFolder`, which lists it among its children (None for a child vApp)."""
        super().__init__(server, moid, name, parent_pool, owner, allocation=allocation)
        self.parent_folder = vm_folder
        if vm_folder is not None:
            vm_folder.list_child(self.ref)   # listed there; its parent stays the pool
        self.parentVApp = parent_pool.ref if isinstance(parent_pool, VirtualApp) else None
        if isinstance(parent_pool, VirtualApp):
            parent_pool.vm_settings[self.ref.value] = dict(CHILD_VAPP_SETTINGS)
        self.annotation = annotation
        self.products = {}      # key -> VAppProductInfo
        self.properties = {}    # key -> VAppPropertyInfo
        if product:
            self.products[0] = self.product_from(product)
        self.ip_assignment = self.T.VAppIPAssignmentInfo(
            supportedAllocationScheme=[], ipAllocationPolicy='fixedPolicy',
            supportedIpProtocol=['IPv4'], ipProtocol='IPv4')
        self.eula = []
        self.ovf_environment_transport = []
        self.install_boot_required = False
        self.install_boot_stop_delay = 0
        self.suspended = False
        self.instance_uuid = str(uuid_module.uuid5(_NAMESPACE, '%s/%s' % (moid, name)))
        self.vm_settings = {}   # member moid -> dict of VAppEntityConfigInfo fields
        self.links = {}         # linked entity moid -> VirtualAppLinkInfo

    def product_from(self, product):
        p = product
        return self.T.VAppProductInfo(
            key=0, classId='', instanceId='', name=p.get('name', ''), vendor=p.get('vendor', ''),
            version=p.get('version', ''), fullVersion=p.get('fullVersion', p.get('version', '')),
            vendorUrl=p.get('vendorUrl', ''), productUrl=p.get('productUrl', ''),
            appUrl=p.get('appUrl', ''))

    # -- membership ------------------------------------------------------------
    def adopt(self, vm):
        """Make `vm` (already placed in this vApp's pool) a member as vCenter
        has it: out of its folder, no parent, `parentVApp` this vApp."""
        folder = vm.parent_object()
        if folder is not None and hasattr(folder, 'remove_child'):
            folder.remove_child(vm)
        vm.parent = None
        vm.parentVApp = self.ref
        if vm not in self.vms:
            self.vms.append(vm)
        self.vm_settings.setdefault(vm.ref.value, dict(VM_SETTINGS))
        vm.changed('parent', 'parentVApp')
        self.changed('vAppConfig')

    def take_vm(self, vm):
        super().take_vm(vm)
        self.adopt(vm)

    def release_vm(self, vm):
        """A VM leaving for a plain pool goes back to a folder: this vApp's,
        or its datacenter's VM folder for a child vApp's."""
        self.vm_settings.pop(vm.ref.value, None)
        vm.parentVApp = None
        folder = self.root_vapp().parent_folder
        folder.add_child(vm)
        folder.changed('childEntity')
        vm.changed('parent', 'parentVApp')
        self.changed('vAppConfig')

    def root_vapp(self):
        vapp = self
        while vapp.parent_folder is None:
            vapp = vapp.parent_object()
        return vapp

    def path_parent(self):
        """A root vApp's inventory path runs through the VM folder, as the
        vSphere client shows it (/DC0/vm/DC0_C0_APP0); a child vApp's through
        its parent vApp."""
        if self.parent_folder is not None:
            return self.parent_folder
        return super().path_parent()

    # -- links -------------------------------------------------------------------
    @property
    def parentFolder(self):
        return self.parent_folder.ref if self.parent_folder is not None else None

    @property
    def datastore(self):
        return refs(_unique(vm.datastore_object for vm in self.all_vms()))

    @property
    def network(self):
        return refs(_unique(vm.network_object for vm in self.all_vms()))

    # -- configuration -------------------------------------------------------------
    def product_info(self):
        return next(iter(self.products.values()), None)

    def members(self):
        """[(member, settings)] of the VMs and child vApps, in start order."""
        out = []
        for member in list(self.vms) + [p for p in self.pools if isinstance(p, VirtualApp)]:
            settings = self.vm_settings.get(member.ref.value)
            if settings is not None:
                out.append((member, settings))
        out.sort(key=lambda pair: pair[1]['startOrder'])
        return out

    def entity_config(self):
        T = self.T
        return [T.VAppEntityConfigInfo(key=member.ref, tag=member.name, **settings)
                for member, settings in self.members()]

    @property
    def vAppConfig(self):
        T = self.T
        return T.VAppConfigInfo(
            product=list(self.products.values()), property=list(self.properties.values()),
            ipAssignment=self.ip_assignment, eula=list(self.eula), ovfSection=[],
            ovfEnvironmentTransport=list(self.ovf_environment_transport),
            installBootRequired=self.install_boot_required,
            installBootStopDelay=self.install_boot_stop_delay,
            entityConfig=self.entity_config(), annotation=self.annotation,
            instanceUuid=self.instance_uuid)

    # -- UpdateVAppConfig ------------------------------------------------------------------
    def apply_vapp_config(self, spec, path):
        """Apply a VAppConfigSpec as a whole: every part is checked first."""
        if spec is None:
            return
        for name in UNSUPPORTED_CONFIG:
            if getattr(spec, name, None):
                raise fault('NotSupported', 'The operation is not supported on the object.')
        products = self._array_update(self.products, spec.product, path + '.product')
        properties = self._array_update(self.properties, spec.property, path + '.property')
        settings = copy.deepcopy(self.vm_settings)
        for index, entity in enumerate(spec.entityConfig or ()):
            where = '%s.entityConfig[%d]' % (path, index)
            if entity.key is None or entity.key.value not in settings:
                raise invalid_argument(where + '.key')
            current = settings[entity.key.value]
            for name in VM_SETTINGS:
                value = getattr(entity, name)
                if value is not None:
                    current[name] = value
            if current['startAction'] not in START_ACTIONS:
                raise invalid_argument(where + '.startAction')
            if current['stopAction'] not in STOP_ACTIONS:
                raise invalid_argument(where + '.stopAction')
            if current['startOrder'] < 0 or current['startDelay'] < 0 \
                    or current['stopDelay'] < 0:
                raise invalid_argument(where)
        self.products, self.properties, self.vm_settings = products, properties, settings
        for name, attr in (('annotation', 'annotation'), ('ipAssignment', 'ip_assignment'),
                           ('eula', 'eula'),
                           ('ovfEnvironmentTransport', 'ovf_environment_transport'),
                           ('installBootRequired', 'install_boot_required'),
                           ('installBootStopDelay', 'install_boot_stop_delay')):
            value = getattr(spec, name)
            if value is not None:
                setattr(self, attr, copy.deepcopy(value))

    @staticmethod
    def _array_update(current, specs, path):
        """`current` ({key: info}) after VAppProductSpec / VAppPropertySpec
        updates: add (a new key), edit and remove (an existing one)."""
        result = dict(current)
        for index, item in enumerate(specs or ()):
            where = '%s[%d]' % (path, index)
            if item.operation == 'remove':
                if item.removeKey not in result:
                    raise invalid_argument(where + '.removeKey')
                del result[item.removeKey]
                continue
            info = item.info
            if info is None or info.key is None:
                raise invalid_argument(where + '.info')
            if item.operation == 'add':
                if info.key in result:
                    raise invalid_argument(where + '.info.key')
                result[info.key] = copy.deepcopy(info)
            elif info.key not in result:
                raise invalid_argument(where + '.info.key')
            else:
                result[info.key] = merged(result[info.key], info)
        return result

    def UpdateVAppConfig(self, ctx, spec):
        self.check_no_member_task()
        self.apply_vapp_config(spec, 'spec')
        self.changed('vAppConfig', 'summary')
        return None

    # -- UpdateLinkedChildren ----------------------------------------------------------------
    @property
    def childLink(self):
        """The linked VMs and vApps that still exist."""
        objects = self.server.objects
        return [link for link in self.links.values() if objects.get(link.key) is not None]

    def UpdateLinkedChildren(self, ctx, addChangeSet=None, removeSet=None):
        """Link VMs and vApps that are not its children (added or changed by
        key), unlink others; InvalidArgument for anything else, nothing applied."""
        links = dict(self.links)
        for index, link in enumerate(addChangeSet or ()):
            where = 'addChangeSet[%d].key' % index
            target = self.server.objects.get(link.key) if link.key is not None else None
            if target is None or target is self or target.type_name not in (
                    'VirtualMachine', 'VirtualApp') or target in self.vms \
                    or target in self.pools:
                raise invalid_argument(where)
            links[link.key.value] = self.T.VirtualAppLinkInfo(
                key=link.key, destroyWithParent=bool(link.destroyWithParent))
        for index, ref in enumerate(removeSet or ()):
            if ref.value not in links:
                raise invalid_argument('removeSet[%d]' % index)
            del links[ref.value]
        self.links = links
        self.changed('childLink')
        return None

    # -- CreateChildVM_Task / RegisterChildVM_Task ----------------------------------------
    def member_folder(self):
        """The VM folder of the root vApp: where its members' datacenter is
        found and CreateVM_Task / RegisterVM_Task's shared work runs."""
        return self.root_vapp().parent_folder

    def check_member_name(self, name):
        """DuplicateName for a VM or child vApp of this vApp so named."""
        self.check_child_name(name)
        other = next((vm for vm in self.vms if vm.name == name), None)
        if other is not None:
            raise fault('DuplicateName', "The name '%s' already exists." % name, name=name,
                        object=other.ref)

    def import_target(self, ctx, folder):
        """ImportVApp into a vApp: the VM becomes a member, in no folder."""
        if folder is not None:
            raise invalid_argument('folder')
        return self.member_folder(), self.check_member_name

    def ExportVApp(self, ctx):
        from vimsim.managed.storage.http_nfc_lease import export_lease
        if any(vm.power_state != 'poweredOff' for vm in self.all_vms()):
            raise fault('InvalidPowerState', 'The attempted operation cannot be performed in '
                        'the current state (Powered on).', requestedState='poweredOff',
                        existingState='poweredOn')
        return export_lease(ctx, self, [vm for vm in self.all_vms()
                                        if vm.type_name == 'VirtualMachine'])

    def CreateChildVM_Task(self, ctx, config, host=None):
        """Folder.CreateVM_Task's work with this vApp as the pool: the VM has
        no folder, only `parentVApp`."""
        folder = self.member_folder()
        host_object = folder.check_new_vm(ctx, config, self, host)
        return run_task(ctx, self, 'CreateChildVM_Task', lambda task: folder.create_vm(
            ctx, task, config, self, host_object, self.check_member_name))

    def RegisterChildVM_Task(self, ctx, path, name=None, host=None):
        """Folder.RegisterVM_Task's work with this vApp as the pool (a vApp
        holds no templates)."""
        host_object = resolve_argument(ctx, host, 'HostSystem', 'host') \
            if host is not None else None
        if host_object is not None and host_object not in self.owner_object.hosts:
            raise invalid_argument('host')
        folder = self.member_folder()
        return run_task(ctx, self, 'RegisterChildVM_Task', lambda task: folder.register_vm(
            task, path, False, name, self, host_object, self.check_member_name))

    # -- CloneVApp_Task ------------------------------------------------------------------
    def CloneVApp_Task(self, ctx, name, target, spec):
        """A copy of this vApp named `name` in `target` (a pool or a vApp, not
        this vApp's own tree): its configuration, its child vApps, and a
        clone of each VM (VirtualMachine.clone_to) on `spec.location`, on
        `spec.host` or the target's host best placed for it."""
        parent = resolve_argument(ctx, target, 'ResourcePool', 'target')
        if parent is self or parent in self.descendants():
            raise invalid_argument('target')
        datastore = resolve_argument(ctx, spec.location, 'Datastore', 'spec.location')
        host = resolve_argument(ctx, spec.host, 'HostSystem', 'spec.host') \
            if spec.host is not None else None
        compute = parent.owner_object
        if host is not None and host not in compute.hosts:
            raise invalid_argument('spec.host')
        folder = parent.vapp_folder(spec.vmFolder, 'spec.vmFolder')
        for part in UNSUPPORTED_CLONE:
            if getattr(spec, part, None):
                raise fault('NotSupported', 'The operation is not supported on the object.')
        allocation = parent.spec_allocations(spec.resourceSpec) \
            if spec.resourceSpec is not None else copy.deepcopy(self.allocation)
        self.check_no_member_task()

        def work(task):
            vapp_name = check_name(name)
            parent.check_vapp_name(vapp_name, folder)
            hosts = {vm: self.clone_host(vm, compute, host, datastore)
                     for vm in self.all_vms()}
            return self.copy_into(ctx, task, parent, vapp_name, folder, allocation, hosts,
                                  datastore)
        return run_task(ctx, self, 'CloneVApp_Task', work)

    def descendants(self):
        """The child vApps below this one, at any depth."""
        for child in self.pools:
            yield child
            yield from child.descendants()

    def clone_host(self, vm, compute, host, datastore):
        """The host `vm`'s clone runs on: `host`, else the one placement picks
        (its own when it qualifies); the faults CloneVM_Task gives."""
        target = host or pick_host(compute, datastore, prefer=vm.host)
        if target is None:
            if is_a(self.server, compute, 'ClusterComputeResource'):
                raise fault('NoActiveHostInCluster', 'No host in the cluster is available '
                            'to run the virtual machine.', computeResource=compute.ref)
            raise invalid_argument('spec.host')
        problem = host_usable(target)
        if problem is not None:
            raise problem
        vm._check_access(target, datastore)
        return target

    def copy_into(self, ctx, task, parent, name, folder, allocation, hosts, datastore):
        """This vApp's copy in `parent`, its members cloned into it in start
        order with their start/stop settings."""
        members = self.members()

        def configure(vapp):
            for attr in COPIED_CONFIG:
                setattr(vapp, attr, copy.deepcopy(getattr(self, attr)))
        vapp = parent.make_vapp(ctx, name, folder, allocation, configure, task.chain_id)
        vm_folder = vapp.member_folder()
        blank = self.T.VirtualMachineCloneSpec(template=False, powerOn=False)
        for member, settings in members:
            if isinstance(member, VirtualApp):
                copied = member.copy_into(ctx, task, vapp, member.name, None,
                                          copy.deepcopy(member.allocation), hosts, datastore)
            else:
                copied = member.clone_to(ctx, task, vm_folder, member.name, vapp,
                                         hosts[member], datastore, blank)
            vapp.vm_settings[copied.ref.value] = dict(settings)
        vapp.changed('vAppConfig', 'summary')
        return vapp

    # -- power ------------------------------------------------------------------------------
    @property
    def vapp_state(self):
        """'started' while any member VM runs, as the vSphere client shows it."""
        running = any(vm.power_state == 'poweredOn' for vm in self.all_vms())
        return 'started' if running else 'stopped'

    def check_no_member_task(self):
        for vm in self.all_vms():
            active = vm._active_task
            if active is not None and not active.done:
                raise fault('TaskInProgress', 'The operation is not allowed in the current '
                            'state because the virtual machine has a task in progress.',
                            task=active.ref)

    def groups(self):
        """The members in start order, grouped by equal startOrder."""
        groups = []
        for member, settings in self.members():
            if groups and groups[-1][0] == settings['startOrder']:
                groups[-1][1].append((member, settings))
            else:
                groups.append((settings['startOrder'], [(member, settings)]))
        return [members for _, members in groups]

    def start(self, task):
        for group in self.groups():
            for member, settings in group:
                if settings['startAction'] != 'powerOn':
                    continue
                if isinstance(member, VirtualApp):
                    member.start(task)
                else:
                    start_vm(member, task.post_event)
        self.suspended = False
        self.changed('summary')

    def stop(self, task, force, suspend=False):
        for group in reversed(self.groups()):
            for member, settings in group:
                action = 'suspend' if suspend else 'powerOff' if force \
                    else settings['stopAction']
                if isinstance(member, VirtualApp):
                    if action != 'none':
                        member.stop(task, force, suspend)
                    continue
                stop_vm(member, action, task.post_event)
        self.suspended = suspend
        self.changed('summary')

    def PowerOnVApp_Task(self, ctx):
        self.check_no_member_task()

        def work(task):
            if self.vapp_state == 'started':
                raise invalid_state()
            self.start(task)
            return None
        return run_task(ctx, self, 'PowerOnVApp_Task', work)

    def PowerOffVApp_Task(self, ctx, force):
        self.check_no_member_task()

        def work(task):
            if self.vapp_state != 'started':
                raise invalid_state()
            self.stop(task, force)
            return None
        return run_task(ctx, self, 'PowerOffVApp_Task', work)

    def SuspendVApp_Task(self, ctx):
        self.check_no_member_task()

        def work(task):
            if self.vapp_state != 'started':
                raise invalid_state()
            self.stop(task, False, suspend=True)
            return None
        return run_task(ctx, self, 'SuspendVApp_Task', work)

    # -- Destroy_Task / unregisterVApp_Task ---------------------------------------------------
    def remove(self, task, take_vm):
        """Take this vApp, its VMs (`take_vm(vm)`) and its child vApps out of
        the inventory; InvalidState while any of its VMs runs."""
        if any(vm.power_state != 'poweredOff' for vm in self.all_vms()):
            raise invalid_state()
        for vm in self.all_vms():
            task.post_event('VmRemovedEvent', vm)
            take_vm(vm)
        self.forget()
        return None

    def forget(self):
        for child in list(self.pools):
            child.forget()
        if self.parent_folder is not None:
            self.parent_folder.remove_child(self)
            self.parent_folder.changed('childEntity')
        parent = self.parent_object()
        parent.pools.remove(self)
        if isinstance(parent, VirtualApp):
            parent.vm_settings.pop(self.ref.value, None)
            parent.changed('vAppConfig')
        parent.changed('resourcePool', 'childConfiguration')
        parent.reservations_changed()
        self.destroy()

    def Destroy_Task(self, ctx):
        """A vApp goes with its VMs (vCenter deletes them, files included)."""
        self.check_no_member_task()
        return run_task(ctx, self, 'Destroy_Task', lambda task: self.remove(task, detach_vm))

    def unregisterVApp_Task(self, ctx):
        """The vApp leaves the inventory; its VMs' files stay, registrable again."""
        self.check_no_member_task()
        return run_task(ctx, self, 'unregisterVApp_Task',
                        lambda task: self.remove(task, unregister_vm))

    @property
    def summary(self):
        base = ResourcePool.summary.fget(self)
        return self.T.VirtualAppSummary(
            name=base.name, config=base.config, runtime=base.runtime,
            quickStats=base.quickStats, configuredMemoryMB=base.configuredMemoryMB,
            product=self.product_info(), vAppState=self.vapp_state, suspended=self.suspended,
            installBootRequired=self.install_boot_required, instanceUuid=self.instance_uuid)


ResourcePool.vapp_class = VirtualApp
