"""ViewManager and its views: container, list and inventory views.

A view's `view` property is computed on read from the inventory, so a view
always follows the inventory as it changes; it lists only the objects the
reader sees (System.View).
"""
from collections import deque

from vimsim.managed.admin.permissions import access_of
from vimsim.managed.base import ManagedObject
from vimsim.managed.service.steps import finish
from vimsim.soap.fault import InvalidArgument, fault


_LEAF = ManagedObject.view_children   # what an object with nothing inside has
COLLECT_SLICE = 20000   # objects a step of collect_steps passes (a few milliseconds)


class View(ManagedObject):
    type_name = 'View'
    held_as = 'view'

    def __init__(self, ctx):
        ctx.session.make_room(self.held_as, ctx.server.options.session_max_views)
        super().__init__(ctx.server, 'session[%s]%s' % (ctx.session.key, ctx.server.new_uuid()))
        self.owner = ctx.session
        ctx.session.own(self)

    def DestroyView(self, ctx):
        self.owner.disown(self)
        self.destroy()


class ContainerView(View):
    type_name = 'ContainerView'

    def __init__(self, ctx, container, type_names, recursive):
        super().__init__(ctx)
        self.container = container
        self.type = type_names
        self.recursive = recursive
        self._matches = {}   # type name -> whether objects of that type are in the view

    @property
    def view(self):
        return self.collect()

    def read(self, name, ctx):
        if name == 'view':
            return finish(self.view_steps(ctx))
        return super().read(name, ctx)

    def view_steps(self, ctx, containers=None):
        """`view` as `ctx` reads it, as steps (collect_steps)."""
        access = access_of(ctx)
        if access is not None and not access.sees_everything():
            return self.collect_steps(access.sees_object, containers)
        return self.collect_steps(containers=containers)

    def collect(self, sees=None):
        """The objects in the view; only those `sees(object)` when given."""
        return finish(self.collect_steps(sees))

    def collect_steps(self, sees=None, containers=None):
        """`collect` as steps, one per COLLECT_SLICE objects passed: a view
        of a million VMs is a second of walking, planned by steps for a
        filter or a retrieval (PropertyCollector._select_steps). What it lists
        is as it met it: an object removed after is looked up by readers.
        `containers`, a set, gets the refs of the containers it looks into."""
        objects = self.server.objects
        root = objects.get(self.container)
        if root is None:
            return []
        if containers is not None:
            containers.add(root.ref)
        matches = self._matches   # type name -> whether objects of that type are in the view
        get = objects.getter()
        recursive = self.recursive
        # ids of the found objects' own MoRefs (kept alive by them): a VM is met
        # three times (its folder, host and pool), by its own MoRef mostly,
        # which the first test passes by without a registry lookup
        seen = set()
        visit = seen.add
        found = []
        keep = found.append
        queue = deque([root])
        later = queue.append
        passed = 0
        while queue:
            obj = queue.popleft()
            # as it was when met: the model may change between two steps
            for ref in tuple(obj.view_children()):
                passed += 1
                if passed == COLLECT_SLICE:
                    passed = 0
                    yield
                if id(ref) in seen:
                    continue
                child = get(ref)
                if child is None or id(child.ref) in seen:
                    continue
                visit(id(child.ref))
                type_name = child.type_name
                match = matches.get(type_name)
                if match is None:
                    match = self._lists_type(type_name)
                if match and (sees is None or sees(child)):
                    keep(ref)
                # a million VMs are leaves: not queued to list nothing
                if recursive and type(child).view_children is not _LEAF:
                    later(child)
                    if containers is not None:
                        containers.add(child.ref)
        return found

    def _lists_type(self, type_name):
        """Whether the view lists objects of `type_name` (remembered)."""
        managed = self.server.schema.managed
        match = self._matches[type_name] = not self.type or any(
            managed[type_name].is_a(name) for name in self.type)
        return match

    def lists(self, leaf, containers):
        """Whether the view lists `leaf` (an object with nothing inside) now,
        `containers` being those its walk looks into: one of the
        containers listing the leaf (`view_parents`) is among them, or is the
        view's container for a view that is not recursive. Visibility is the
        caller's."""
        match = self._matches.get(leaf.type_name)
        if match is None:
            match = self._lists_type(leaf.type_name)
        if not match:
            return False
        parents = leaf.view_parents()
        if self.recursive:
            return any(parent in containers for parent in parents)
        return self.container in parents


class _StoredView(View):
    """A view whose `view` list is kept, not computed: objects destroyed since
    they were added, and those the reader does not see, drop out on read;
    every change is reported to filters."""

    def read(self, name, ctx):
        if name == 'view':
            access = access_of(ctx)
            live = [ref for ref in self.view if self.server.objects.get(ref) is not None]
            return live if access is None else access.visible(live)
        return super().read(name, ctx)

    def _add(self, refs):
        """Add the refs that exist; return those that do not."""
        unresolved = []
        for ref in refs or ():
            if self.server.objects.get(ref) is None:
                unresolved.append(ref)
            elif ref not in self.view:
                self.view.append(ref)
        self.changed('view')
        return unresolved

    def _remove(self, refs):
        for ref in refs:
            if ref in self.view:
                self.view.remove(ref)
        self.changed('view')


class ListView(_StoredView):
    type_name = 'ListView'

    def __init__(self, ctx, refs):
        super().__init__(ctx)
        self.view = []
        self._add(refs)

    def ModifyListView(self, ctx, add=None, remove=None):
        unresolved = self._add(add)
        self._remove(remove or ())
        return unresolved or None

    def ResetListView(self, ctx, obj=None):
        self.view = []
        return self._add(obj) or None

    def ResetListViewFromView(self, ctx, view):
        source = self.server.objects.resolve(view)
        if not isinstance(source, View):
            raise InvalidArgument('view')
        self.view = []
        self._add(source.read('view', ctx))


class InventoryView(_StoredView):
    type_name = 'InventoryView'

    def __init__(self, ctx):
        super().__init__(ctx)
        self.view = [ctx.server.root_folder.ref]

    def _resolve(self, entity):
        """(objects found, refs not found) of an entity list."""
        found, unresolved = [], []
        for ref in entity:
            obj = self.server.objects.get(ref)
            if obj is None:
                unresolved.append(ref)
            else:
                found.append(obj)
        return found, unresolved

    def OpenInventoryViewFolder(self, ctx, entity):
        found, unresolved = self._resolve(entity)
        for obj in found:
            self._add([obj.ref])
            self._add(obj.view_children())
        return unresolved or None

    def CloseInventoryViewFolder(self, ctx, entity):
        found, unresolved = self._resolve(entity)
        for obj in found:
            self._remove(list(_descendants(self.server, obj)))
        return unresolved or None


def _descendants(server, obj):
    stack = [obj]
    while stack:
        for ref in stack.pop().view_children():
            yield ref
            child = server.objects.get(ref)
            if child is not None:
                stack.append(child)


class ViewManager(ManagedObject):
    type_name = 'ViewManager'

    def read(self, name, ctx):
        if name == 'viewList':
            if ctx.session is None:
                return []
            return [obj.ref for obj in ctx.session.owned if isinstance(obj, View)]
        return super().read(name, ctx)

    def CreateContainerView(self, ctx, container, type=None, recursive=False):
        obj = ctx.server.objects.resolve(container)
        if obj.type_name not in _CONTAINER_TYPES and not any(
                ctx.server.schema.managed[obj.type_name].is_a(t) for t in _CONTAINER_TYPES):
            raise InvalidArgument('container')
        for name in type or ():
            if name not in ctx.server.schema.managed:
                raise fault('InvalidType', 'Unknown type %s' % name, argument='type')
        return ContainerView(ctx, container, list(type or ()), bool(recursive)).ref

    def CreateListView(self, ctx, obj=None):
        return ListView(ctx, obj).ref

    def CreateListViewFromView(self, ctx, view):
        source = ctx.server.objects.resolve(view)
        if not isinstance(source, View):
            raise InvalidArgument('view')
        return ListView(ctx, source.read('view', ctx)).ref

    def CreateInventoryView(self, ctx):
        return InventoryView(ctx).ref


_CONTAINER_TYPES = ('Folder', 'Datacenter', 'ComputeResource', 'ResourcePool', 'HostSystem')
