"""ViewManager: container, list and inventory views through pyVmomi."""
import pytest
from pyVmomi import vim, vmodl

from tests.conftest import on_reactor


def names(refs):
    return sorted(ref.name for ref in refs)


def test_container_view_type_filter_matches_subtypes(si):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder,
                                                   [vim.ComputeResource], True)
    kinds = {type(ref).__name__ for ref in view.view}
    assert kinds == {'vim.ComputeResource', 'vim.ClusterComputeResource'}
    assert view.container == content.rootFolder and view.recursive is True
    assert view.type == ['ComputeResource']
    view.DestroyView()


def test_non_recursive_view_sees_direct_children(si):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [], False)
    assert names(view.view) == ['DC0']
    view.DestroyView()


def test_view_follows_the_inventory(si, vc_http):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.Folder], True)
    before = len(view.view)
    sim = vc_http.sim

    def add_folder():
        from vimsim.managed.inventory.folder import Folder
        root = sim.root_folder
        folder = Folder(sim, sim.objects.next_id('group-d'), 'added', root,
                        ('Folder', 'Datacenter'))
        root.add_child(folder)
        return folder

    folder = on_reactor(add_folder)
    try:
        assert len(view.view) == before + 1
        assert 'added' in names(view.view)
    finally:
        def remove():
            sim.root_folder.childEntity.remove(folder.ref)
            folder.destroy()
        on_reactor(remove)
    assert len(view.view) == before
    view.DestroyView()


def test_view_list_and_destroy(si):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [], False)
    assert view in content.viewManager.viewList
    view.DestroyView()
    assert view not in content.viewManager.viewList
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        view.view


def test_list_view(si):
    content = si.RetrieveContent()
    datacenter = content.rootFolder.childEntity[0]
    ghost = vim.VirtualMachine('vm-987654', si._stub)
    view = content.viewManager.CreateListView([datacenter])
    assert view.view == [datacenter]
    unresolved = view.ModifyListView(add=[content.rootFolder, ghost], remove=[datacenter])
    assert unresolved == [ghost]
    assert view.view == [content.rootFolder]
    assert view.ResetListView([datacenter]) == []
    assert view.view == [datacenter]
    view.DestroyView()


def test_inventory_view(si):
    content = si.RetrieveContent()
    view = content.viewManager.CreateInventoryView()
    assert view.view == [content.rootFolder]
    datacenter = content.rootFolder.childEntity[0]
    view.OpenFolder([content.rootFolder])
    assert datacenter in view.view
    view.OpenFolder([datacenter])
    assert datacenter.vmFolder in view.view
    view.CloseFolder([content.rootFolder])
    assert view.view == [content.rootFolder]
    view.DestroyView()


def test_container_must_be_a_container(si):
    content = si.RetrieveContent()
    vms = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    with pytest.raises(vmodl.fault.InvalidArgument):
        content.viewManager.CreateContainerView(vms.view[0], [], True)
    vms.DestroyView()
