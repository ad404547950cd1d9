"""TenantTenantManager with pyVmomi: a service provider marks the entities
that are its own, lists them and unmarks them; an entity that leaves the
inventory leaves the list; a reference to no entity is refused whole."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


def test_service_provider_entities(si):
    content = si.RetrieveContent()
    tenants = content.tenantManager
    dc = content.rootFolder.childEntity[0]
    host_folder, ds = dc.hostFolder, dc.datastore[0]
    assert tenants.RetrieveServiceProviderEntities() == []
    tenants.MarkServiceProviderEntities([host_folder, ds])
    tenants.MarkServiceProviderEntities([ds])            # already marked: no change
    assert tenants.RetrieveServiceProviderEntities() == [host_folder, ds]
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        tenants.MarkServiceProviderEntities([dc, vim.Folder('group-nope', si._stub)])
    assert dc not in tenants.RetrieveServiceProviderEntities()
    tenants.UnmarkServiceProviderEntities([host_folder, dc])
    assert tenants.RetrieveServiceProviderEntities() == [ds]
    folder = dc.vmFolder.CreateFolder('provider-only')
    tenants.MarkServiceProviderEntities([folder])
    WaitForTask(folder.Destroy_Task())
    assert tenants.RetrieveServiceProviderEntities() == [ds]
