"""vSAN namespace objects with pyVmomi, as govc's datastore.mkdir/rm
-namespace and Ansible's vsphere_file drive them: the vsanDatastore's top
holds namespace objects only (a uuid directory, its friendly name an alias
beside it), made by DatastoreNamespaceManager.CreateDirectory, removed by
DeleteDirectory, never by FileManager.MakeDirectory; vCenter makes one for
each new VM's home and removes it with the VM."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import task_fault
from tests.test_vsan import cluster_of, enable, outcome, running, sim, vsan_datastores  # noqa: F401


@pytest.fixture
def env(si):
    enable(cluster_of(si), auto_claim=True)
    content = si.RetrieveContent()
    ds, = vsan_datastores(si)
    dc = content.rootFolder.childEntity[0]
    return content, dc, ds


def top_names(content, ds):
    task = ds.browser.SearchDatastore_Task('[%s]' % ds.name)
    WaitForTask(task)
    return {f.path for f in task.info.result.file}


def test_namespace_objects_are_made_and_removed_by_the_namespace_manager(env):
    content, dc, ds = env
    nsm, files = content.datastoreNamespaceManager, content.fileManager
    assert ds.capability.topLevelDirectoryCreateSupported is False
    with pytest.raises(vim.fault.CannotCreateFile):
        files.MakeDirectory('[vsanDatastore] plain', dc)
    with pytest.raises(vim.fault.CannotCreateFile):
        files.MakeDirectory('[vsanDatastore] plain/sub', dc, createParentDirectories=True)

    stable = nsm.CreateDirectory(ds, displayName='isos')
    volume = '/vmfs/volumes/vsan:%s/' % ds.info.containerId
    assert stable.startswith(volume)
    uuid = stable[len(volume):]
    assert len(uuid.split('-')) == 5 and '/' not in uuid
    assert {'isos', uuid} <= top_names(content, ds)
    with pytest.raises(vim.fault.FileAlreadyExists):
        nsm.CreateDirectory(ds, displayName='isos')
    # within a namespace object, files are plain ones
    files.MakeDirectory('[vsanDatastore] isos/linux', dc)
    assert nsm.ConvertNamespacePathToUuidPath(dc, volume + 'isos/linux') == \
        volume + uuid + '/linux'
    assert nsm.ConvertNamespacePathToUuidPath(dc, 'ds://' + volume + 'isos') == \
        'ds://' + volume + uuid
    info = nsm.QueryDirectoryInfo(dc, stable)
    assert info.capacity == 255 * 1024 and info.used == 0
    nsm.IncreaseDirectorySize(dc, stable, 300 * 1024)
    assert nsm.QueryDirectoryInfo(dc, '[vsanDatastore] isos').capacity == 300 * 1024
    with pytest.raises(vmodl.fault.InvalidArgument):       # it only grows
        nsm.IncreaseDirectorySize(dc, stable, 1024)
    with pytest.raises(vim.fault.InvalidDatastorePath):    # not a top-level directory
        nsm.DeleteDirectory(dc, '[vsanDatastore] isos/linux')

    nsm.DeleteDirectory(dc, '[vsanDatastore] isos')
    assert not {'isos', uuid} & top_names(content, ds)
    with pytest.raises(vim.fault.FileNotFound):
        nsm.DeleteDirectory(dc, stable)
    # FileManager deletes a namespace object with its alias
    nsm.CreateDirectory(ds, displayName='scratch', size=1024)
    WaitForTask(files.DeleteDatastoreFile_Task('[vsanDatastore] scratch', dc))
    assert not any(name == 'scratch' for name in top_names(content, ds))


def test_a_vm_home_is_a_namespace_object(env, si):
    content, dc, ds = env
    cluster = cluster_of(si)
    folder = dc.vmFolder

    def create(name, path):
        return folder.CreateVM_Task(vim.vm.ConfigSpec(
            name=name, guestId='otherGuest64', numCPUs=1, memoryMB=128,
            files=vim.vm.FileInfo(vmPathName=path)), cluster.resourcePool, cluster.host[0])

    vm = outcome(create('web', '[vsanDatastore]'))
    path = vm.config.files.vmPathName
    uuid = path[len('[vsanDatastore] '):].split('/')[0]
    assert path == '[vsanDatastore] %s/web.vmx' % uuid and uuid != 'web'
    assert vm.config.files.logDirectory == '[vsanDatastore] %s/' % uuid
    assert {'web', uuid} <= top_names(content, ds)
    # the alias names the same files; a second VM there is refused
    assert isinstance(task_fault(create('web2', '[vsanDatastore] web/web.vmx')),
                      vim.fault.FileAlreadyExists)
    # a namespace made beforehand takes a VM named into it
    stable = content.datastoreNamespaceManager.CreateDirectory(ds, displayName='db')
    db = outcome(create('db', '[vsanDatastore] db/db.vmx'))
    assert db.config.files.vmPathName == '[vsanDatastore] %s/db.vmx' % stable.rsplit('/')[-1]
    # vSAN's top holds no files
    assert isinstance(task_fault(create('top', '[vsanDatastore] top.vmx')),
                      vim.fault.CannotCreateFile)
    clone = outcome(vm.CloneVM_Task(folder, 'web-copy', vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(datastore=ds, pool=cluster.resourcePool))))
    assert 'web-copy' in top_names(content, ds)
    assert not clone.config.files.vmPathName.startswith('[vsanDatastore] web-copy/')
    for each in (vm, db, clone):
        WaitForTask(each.Destroy_Task())
    assert not {'web', uuid, 'db', 'web-copy'} & top_names(content, ds)


def test_aliases_are_found_by_the_index_the_namespaces_keep(env, si, sim):
    """Every way a namespace object comes and goes (CreateDirectory, a VM's
    home, a clone's, DeleteDirectory, FileManager's delete, a VM destroyed)
    keeps the alias -> uuid index the lookups use as the objects are: a
    freed alias can be taken again and names the new object."""
    content, dc, ds = env
    nsm, files, cluster = content.datastoreNamespaceManager, content.fileManager, cluster_of(si)
    model = next(o for o in sim.sim.objects if o.ref.value == ds._moId)

    def consistent():
        assert model.namespace_aliases == {
            alias: uuid for uuid, (alias, _) in model.namespaces.items()}
        return set(model.namespace_aliases)
    volume = '/vmfs/volumes/vsan:%s/' % ds.info.containerId
    first = nsm.CreateDirectory(ds, displayName='media')
    vm = outcome(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(
        name='idx', guestId='otherGuest64', numCPUs=1, memoryMB=128,
        files=vim.vm.FileInfo(vmPathName='[vsanDatastore]')), cluster.resourcePool,
        cluster.host[0]))
    clone = outcome(vm.CloneVM_Task(dc.vmFolder, 'idx-copy', vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(datastore=ds, pool=cluster.resourcePool))))
    assert {'media', 'idx', 'idx-copy'} <= consistent()
    nsm.DeleteDirectory(dc, '[vsanDatastore] media')
    assert 'media' not in consistent()
    second = nsm.CreateDirectory(ds, displayName='media')
    assert second != first and consistent() >= {'media'}
    assert nsm.ConvertNamespacePathToUuidPath(dc, volume + 'media') == second
    WaitForTask(files.DeleteDatastoreFile_Task('[vsanDatastore] media', dc))
    for each in (vm, clone):
        WaitForTask(each.Destroy_Task())
    assert not {'media', 'idx', 'idx-copy'} & consistent()
    with pytest.raises(vim.fault.FileNotFound):
        nsm.DeleteDirectory(dc, '[vsanDatastore] media')
