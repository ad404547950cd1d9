"""DatastoreNamespaceManager with pyVmomi over the simulated datastores,
all VMFS (top-level directories are plain ones, made by FileManager): what
vCenter answers for them, after the same path checks as the file calls."""
import pytest
from pyVmomi import vim, vmodl

from tests.test_virtual_disk_manager import running, si  # noqa: F401 (a simulator of its own)


@pytest.fixture
def env(si):
    content = si.RetrieveContent()
    dc = content.rootFolder.childEntity[0]
    ds = dc.datastore[0]
    content.fileManager.MakeDirectory('[%s] top' % ds.name, dc)
    yield content.datastoreNamespaceManager, dc, ds
    content.fileManager.DeleteDatastoreFile_Task('[%s] top' % ds.name, dc)


def test_a_vmfs_datastore_makes_no_namespace_directories(env):
    nsm, dc, ds = env
    assert ds.capability.topLevelDirectoryCreateSupported is True
    with pytest.raises(vim.fault.CannotCreateFile) as raised:
        nsm.CreateDirectory(ds, displayName='namespace')
    assert raised.value.file == '[%s] namespace' % ds.name
    with pytest.raises(vim.fault.InvalidDatastore):
        nsm.CreateDirectory(vim.Datastore('datastore-999', ds._stub), displayName='x')
    with pytest.raises(vim.fault.InvalidDatastore):      # a plain directory, not an object
        nsm.DeleteDirectory(dc, '[%s] top' % ds.name)


def test_namespace_paths_are_uuid_paths_on_vmfs(env):
    nsm, dc, ds = env
    stable = ds.info.url.replace('ds://', '') + 'top'
    assert nsm.ConvertNamespacePathToUuidPath(dc, stable) == stable
    assert nsm.ConvertNamespacePathToUuidPath(dc, 'ds://' + stable) == 'ds://' + stable
    with pytest.raises(vim.fault.FileNotFound):
        nsm.ConvertNamespacePathToUuidPath(dc, stable + '-missing')
    with pytest.raises(vim.fault.InvalidDatastore):
        nsm.ConvertNamespacePathToUuidPath(dc, '/vmfs/volumes/no-such-volume/top')
    with pytest.raises(vim.fault.InvalidDatastorePath):
        nsm.ConvertNamespacePathToUuidPath(dc, 'top')
    with pytest.raises(vmodl.fault.InvalidArgument):      # vCenter needs the datacenter
        nsm.ConvertNamespacePathToUuidPath(None, stable)


def test_directory_size_is_vsan_objects_only(env):
    nsm, dc, ds = env
    stable = ds.info.url.replace('ds://', '') + 'top'
    with pytest.raises(vmodl.fault.NotSupported):
        nsm.QueryDirectoryInfo(dc, stable)
    with pytest.raises(vmodl.fault.NotSupported):
        nsm.IncreaseDirectorySize(dc, '[%s] top' % ds.name, 1024)
    with pytest.raises(vmodl.fault.InvalidArgument):
        nsm.IncreaseDirectorySize(dc, stable, 0)
    with pytest.raises(vim.fault.FileNotFound):
        nsm.QueryDirectoryInfo(dc, '[%s] nothing-here' % ds.name)
    with pytest.raises(vim.fault.InvalidDatastorePath):
        nsm.DeleteDirectory(dc, 'no path')
