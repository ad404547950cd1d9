"""Datacenter: the root of a datacenter's four folders (vm, host, datastore,
network), the datastores and networks in it, PowerOnMultiVM_Task, what
vCenter learns of hosts before adding them (QueryConnectionInfo and
BatchQueryConnectInfo), and its configuration: the default and maximum
virtual hardware versions of the VMs made in it (ReconfigureDatacenter_Task),
which its compute resources follow unless they set their own."""
from vimsim.managed.entity import ManagedEntity, refs
from vimsim.managed.host.host_joining import connection_info
from vimsim.managed.inventory.compute_resource import check_powered_off
from vimsim.managed.inventory.folder import Folder, container_class
from vimsim.managed.monitoring.event_manager import datacenter_of
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.vm.environment_browser import (DESCRIPTIONS, common_versions,
                                                   default_version, hw_number,
                                                   option_descriptors)
from vimsim.managed.vm.provisioning import is_a, unregister_vm
from vimsim.soap.fault import fault, localized


@container_class('Datacenter')
class Datacenter(ManagedEntity):
    type_name = 'Datacenter'

    def __init__(self, server, moid, name, parent, folder_ids=None):
        """`folder_ids`: the moids of the vm, host, datastore and network
        folders (ESX uses fixed ones); vCenter-style ids otherwise."""
        super().__init__(server, moid, name, parent)
        registry = server.objects
        if folder_ids is None:
            folder_ids = (registry.next_id('group-v'), registry.next_id('group-h'),
                          registry.next_id('group-s'), registry.next_id('group-n'))
        vm_id, host_id, ds_id, net_id = folder_ids
        self.vm_folder = Folder(server, vm_id, 'vm', self,
                                ('Folder', 'VirtualMachine', 'VirtualApp'))
        self.host_folder = Folder(server, host_id, 'host', self,
                                  ('Folder', 'ComputeResource'))
        self.datastore_folder = Folder(server, ds_id, 'datastore', self,
                                       ('Folder', 'Datastore', 'StoragePod'))
        self.network_folder = Folder(server, net_id, 'network', self,
                                     ('Folder', 'Network', 'DistributedVirtualSwitch'))
        self.vmFolder = self.vm_folder.ref
        self.hostFolder = self.host_folder.ref
        self.datastoreFolder = self.datastore_folder.ref
        self.networkFolder = self.network_folder.ref
        self.datastores = []   # Datastore objects
        self.networks = []     # Network, DistributedVirtualPortgroup objects
        self.configuration = server.schema.types['DatacenterConfigInfo'].cls()

    @property
    def datastore(self):
        return refs(self.datastores)

    @property
    def network(self):
        return refs(self.networks)

    def view_children(self):
        return (self.vmFolder, self.hostFolder, self.datastoreFolder, self.networkFolder)

    def folders(self):
        return (self.vm_folder, self.host_folder, self.datastore_folder, self.network_folder)

    # -- Destroy_Task --------------------------------------------------------------
    def contents(self):
        return [obj for folder in self.folders() for obj in folder.tree()]

    def check_removable(self):
        """InvalidPowerState while a VM of the datacenter is powered on."""
        for obj in self.contents():
            check = getattr(obj, 'check_removable', None)
            if check is not None:
                check()
            elif is_a(self.server, obj, 'VirtualMachine'):
                check_powered_off(obj)

    def remove_with_contents(self, task):
        """Take the datacenter and all it holds out of the inventory: compute
        resources with their hosts and VMs, the VMs left (VmRemovedEvent; their
        files stay), datastores, networks, switches and folders."""
        contents = self.contents()
        for obj in contents:
            if hasattr(obj, 'remove_with_contents'):
                obj.remove_with_contents(task)
        for obj in contents:
            if is_a(self.server, obj, 'VirtualMachine') and self.server.objects.get(obj.ref):
                task.post_event('VmRemovedEvent', obj)
                unregister_vm(obj)
        for obj in contents + self.networks:
            # what its hosts took along with them is gone already
            if not isinstance(obj, Folder) and self.server.objects.get(obj.ref) is obj:
                obj.destroy()
        for folder in self.folders():
            folder.destroy_tree()
        self.datastores, self.networks = [], []
        parent = self.parent_object()
        if parent is not None:
            parent.remove_child(self)
            parent.changed('childEntity')
        self.destroy()

    def Destroy_Task(self, ctx):
        """Remove the datacenter and everything in it, as vCenter does: its
        compute resources go with their hosts and VMs (Destroy_Task of each),
        then its datastores, networks, switches and folders;
        InvalidPowerState while one of its VMs is powered on."""
        if self.server.esx:
            raise fault('NotSupported', 'The operation is not supported on the object.')

        def work(task):
            self.check_removable()
            self.remove_with_contents(task)
            return None
        return run_task(ctx, self, 'Destroy_Task', work)

    # -- PowerOnMultiVM_Task ---------------------------------------------------------
    def PowerOnMultiVM_Task(self, ctx, vm, option=None):
        """Power on several VMs: a VM of a DRS cluster whose behaviour is
        manual is not powered on but recommended (`recommendations`, which
        ApplyRecommendation carries out); each other VM goes through its
        own PowerOnVM_Task (a subtask of this one: its parentTaskKey and
        rootTaskKey), listed in the ClusterPowerOnVmResult's
        `attempted` with that task; a VM refused before its task exists (a
        template, a task in progress, not in this datacenter) is in
        `notAttempted` with the fault. The VMs' events are the power-on
        path's own (VmStartingEvent, VmPoweredOnEvent)."""
        if self.server.esx:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        targets = [self.server.objects.resolve(ref) for ref in vm or ()]
        for target in targets:
            if target.type_name != 'VirtualMachine':
                raise fault('InvalidArgument', 'A specified parameter was not correct: vm',
                            invalidProperty='vm')
        MethodFault = self.server.schema.types['MethodFault'].cls

        def work(task):
            T = self.T
            attempted, not_attempted, recommendations = [], [], []
            for target in targets:
                try:
                    if self.server.objects.get(target.ref) is not target:
                        raise fault('ManagedObjectNotFound', 'The object has already been '
                                    'deleted or has not been completely created',
                                    obj=target.ref)
                    if datacenter_of(self.server, target) is not self:
                        raise fault('InvalidArgument', 'A specified parameter was not '
                                    'correct: vm', invalidProperty='vm')
                    compute = target.host.compute_resource if target.host else None
                    recommend = getattr(compute, 'power_on_recommendation', None)
                    recommendation = recommend(target) if recommend is not None else None
                    if recommendation is not None:   # a manual VM in a DRS cluster
                        recommendations.append(recommendation)
                        continue
                    subtask = target.PowerOnVM_Task(ctx)
                except MethodFault as error:
                    not_attempted.append(T.ClusterNotAttemptedVmInfo(
                        vm=target.ref, fault=localized(error)))
                    continue
                subtask.info.parentTaskKey = task.info.key
                subtask.info.rootTaskKey = task.info.rootTaskKey or task.info.key
                attempted.append(T.ClusterAttemptedVmInfo(vm=target.ref, task=subtask.ref))
            return T.ClusterPowerOnVmResult(attempted=attempted, notAttempted=not_attempted,
                                            recommendations=recommendations)
        return run_task(ctx, self, 'PowerOnMultiVM_Task', work)

    # -- QueryConnectionInfo ------------------------------------------------------------
    def QueryConnectionInfo(self, ctx, hostname, port, username, password, sslThumbprint=None,
                            sslCertificate=None):
        return self.QueryConnectionInfoViaSpec(ctx, self.T.HostConnectSpec(
            hostName=hostname, port=port, userName=username, password=password,
            sslThumbprint=sslThumbprint, sslCertificate=sslCertificate))

    def QueryConnectionInfoViaSpec(self, ctx, spec):
        """The HostConnectInfo of the host `spec` names (host_joining)."""
        if self.server.esx:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        return connection_info(self.server, spec, self)

    def BatchQueryConnectInfo(self, ctx, hostSpecs=()):
        """QueryConnectionInfoViaSpec's facts of each host, in a summary per
        spec; what refuses a spec is that entry's `error`, not a fault."""
        if self.server.esx:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        T = self.T
        MethodFault = self.server.schema.types['MethodFault'].cls
        out = []
        for spec in hostSpecs:
            try:
                info = connection_info(self.server, spec, self)
            except MethodFault as refused:
                out.append(T.DatacenterBasicConnectInfo(hostname=spec.hostName,
                                                        error=localized(refused)))
                continue
            hardware = info.host.hardware
            out.append(T.DatacenterBasicConnectInfo(
                hostname=spec.hostName, serverIp=info.serverIp, numVm=len(info.vm),
                numPoweredOnVm=sum(1 for vm in info.vm
                                   if vm.runtime.powerState == 'poweredOn'),
                hostProductInfo=info.host.config.product,
                hardwareVendor=hardware.vendor if hardware is not None else None,
                hardwareModel=hardware.model if hardware is not None else None))
        return out

    # -- configuration ----------------------------------------------------------------
    def hosts(self):
        """The hosts of the datacenter's compute resources."""
        return [host for obj in self.host_folder.tree()
                if is_a(self.server, obj, 'ComputeResource') for host in obj.hosts]

    def ReconfigureDatacenter_Task(self, ctx, spec, modify):
        """Apply `spec` to `configuration` (`modify`: over it; otherwise in its
        place, unset fields cleared); InvalidArgument for a key that is no
        hardware version, or a default above the maximum."""
        if self.server.esx:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        fields = ('defaultHardwareVersionKey', 'maximumHardwareVersionKey')
        for field in fields:
            key = getattr(spec, field)
            if key is not None and key not in DESCRIPTIONS:
                raise fault('InvalidArgument', 'A specified parameter was not correct: spec.'
                            + field, invalidProperty='spec.' + field)
        config = self.T.DatacenterConfigInfo()
        for field in fields:
            given = getattr(spec, field)
            kept = getattr(self.configuration, field) if modify else None
            setattr(config, field, given if given is not None else kept)
        default, maximum = config.defaultHardwareVersionKey, config.maximumHardwareVersionKey
        if default and maximum and hw_number(default) > hw_number(maximum):
            raise fault('InvalidArgument', 'A specified parameter was not correct: '
                        'spec.defaultHardwareVersionKey',
                        invalidProperty='spec.defaultHardwareVersionKey')

        def work(task):
            self.configuration = config
            self.changed('configuration')
            return None
        return run_task(ctx, self, 'ReconfigureDatacenter_Task', work)

    def queryDatacenterConfigOptionDescriptor(self, ctx):
        """The hardware versions the datacenter's hosts run; the default is
        the one a new VM of the datacenter gets by its own configuration."""
        if self.server.esx:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        hosts = self.hosts()
        config = self.configuration
        default = default_version(common_versions(hosts), config.defaultHardwareVersionKey,
                                  config.maximumHardwareVersionKey)
        return option_descriptors(self.T, hosts, default)
