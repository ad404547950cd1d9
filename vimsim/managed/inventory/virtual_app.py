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

Primary state: the pool's (links, allocation) plus the product, annotation,
instance uuid and each VM's start/stop settings. `vAppConfig`, `summary`
(VirtualAppSummary), `datastore` and `network` are computed on read from the
VMs, so they always agree with the VMs' own placement.
"""
import uuid as uuid_module

from vimsim.managed.entity import refs
from vimsim.managed.inventory.resource_pool import ResourcePool

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


class VirtualApp(ResourcePool):
    type_name = 'VirtualApp'
    parentVApp = None
    childLink = ()

    def __init__(self, server, moid, name, parent_pool, owner, vm_folder, allocation=None,
                 annotation=ANNOTATION, product=PRODUCT):
        """`parent_pool`: the pool (or vApp) it is created in; `vm_folder`: its
        `parentFolder`, which lists it among its children."""
        super().__init__(server, moid, name, parent_pool, owner, allocation=allocation)
        self.parent_folder = vm_folder
        vm_folder.childEntity.append(self.ref)   # listed there; its parent stays the pool
        self.annotation = annotation
        self.product = dict(product) if product else None
        self.instance_uuid = str(uuid_module.uuid5(_NAMESPACE, '%s/%s' % (moid, name)))
        self.vm_settings = {}   # vm moid -> dict of VAppEntityConfigInfo fields

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
        self.vm_settings.setdefault(vm.ref.value, dict(
            startOrder=1, startDelay=START_DELAY, waitingForGuest=False, startAction='powerOn',
            stopDelay=STOP_DELAY, stopAction='powerOff', destroyWithParent=True))

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
        if self.product is None:
            return None
        p = self.product
        return self.T.VAppProductInfo(
            key=0, classId='', instanceId='', name=p.get('name', ''), vendor=p.get('vendor', ''),
            version=p.get('version', ''), fullVersion=p.get('fullVersion', p.get('version', '')),
            vendorUrl=p.get('vendorUrl', ''), productUrl=p.get('productUrl', ''),
            appUrl=p.get('appUrl', ''))

    def entity_config(self):
        T = self.T
        out = []
        for vm in self.vms:
            settings = self.vm_settings.get(vm.ref.value)
            if settings is None:
                continue
            out.append(T.VAppEntityConfigInfo(key=vm.ref, tag=vm.name, **settings))
        for pool in self.pools:
            if isinstance(pool, VirtualApp):
                out.append(T.VAppEntityConfigInfo(
                    key=pool.ref, tag=pool.name, startOrder=1, startDelay=0,
                    waitingForGuest=False, startAction='powerOn', stopDelay=0,
                    stopAction='powerOff', destroyWithParent=True))
        return out

    @property
    def vAppConfig(self):
        T = self.T
        product = self.product_info()
        return T.VAppConfigInfo(
            product=[product] if product is not None else [], property=[],
            ipAssignment=T.VAppIPAssignmentInfo(
                supportedAllocationScheme=[], ipAllocationPolicy='fixedPolicy',
                supportedIpProtocol=['IPv4'], ipProtocol='IPv4'),
            eula=[], ovfSection=[], ovfEnvironmentTransport=[], installBootRequired=False,
            installBootStopDelay=0, entityConfig=self.entity_config(),
            annotation=self.annotation, instanceUuid=self.instance_uuid)

    @property
    def vapp_state(self):
        """'started' while any member VM runs, as the vSphere client shows it."""
        running = any(vm.power_state == 'poweredOn' for vm in self.all_vms())
        return 'started' if running else 'stopped'

    @property
    def summary(self):
        base = ResourcePool.summary.fget(self)
        return self.T.VirtualAppSummary(
            name=base.name, config=base.config, runtime=base.runtime,
            quickStats=base.quickStats, configuredMemoryMB=base.configuredMemoryMB,
            product=self.product_info(), vAppState=self.vapp_state, suspended=False,
            installBootRequired=False, instanceUuid=self.instance_uuid)
