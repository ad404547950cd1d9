"""Live updates: CreateFilter and WaitForUpdates(Ex) with vCenter's semantics.

Changes are made in-process through the model's one mutation path
(`obj.changed(...)`), on the reactor thread, while real pyVmomi clients watch.
"""
import asyncio
import re
import threading
import time

import pytest
from pyVim.connect import Disconnect
from pyVmomi import vim, vmodl

from tests.conftest import on_reactor
from vimsim.server.debug_vars import debug_vars

PC = vmodl.query.PropertyCollector


def rename(sim, ref_value, new_name, type_name='Datacenter'):
    def change():
        from vimsim.schema import MoRef
        obj = sim.objects.get(MoRef(type_name, ref_value))
        obj.name = new_name
        obj.changed('name')
    on_reactor(change)


def object_filter(obj, paths, partial=True):
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=obj)],
                         propSet=[PC.PropertySpec(type=type(obj), pathSet=paths)])
    return spec, partial


def wait(collector, version, seconds=None, max_updates=None):
    return collector.WaitForUpdatesEx(version, PC.WaitOptions(maxWaitSeconds=seconds,
                                                              maxObjectUpdates=max_updates))


@pytest.fixture
def datacenter(si):
    return si.RetrieveContent().rootFolder.childEntity[0]


def test_initial_state_then_changes_of_another_session(si, vc_http, datacenter):
    collector = si.RetrieveContent().propertyCollector
    property_filter = collector.CreateFilter(*object_filter(datacenter, ['name', 'overallStatus']))
    first = wait(collector, '')
    [update] = first.filterSet[0].objectSet
    assert update.kind == 'enter' and update.obj == datacenter
    assert {c.name: c.val for c in update.changeSet} == {'name': 'DC0', 'overallStatus': 'green'}
    assert wait(collector, first.version, seconds=0) is None
    answers = []
    waiter = threading.Thread(target=lambda: answers.append(wait(collector, first.version, 10)))
    waiter.start()
    time.sleep(0.2)
    rename(vc_http.sim, datacenter._moId, 'DC0-renamed')
    waiter.join(10)
    try:
        [update] = answers[0].filterSet[0].objectSet
        assert update.kind == 'modify'
        assert [(c.name, c.op, c.val) for c in update.changeSet] == [('name', 'assign', 'DC0-renamed')]
        assert answers[0].filterSet[0].filter == property_filter
        assert property_filter in collector.filter
    finally:
        rename(vc_http.sim, datacenter._moId, 'DC0')
        property_filter.Destroy()
    assert collector.filter == []


def test_max_wait_seconds_times_out_with_nothing(si, datacenter):
    collector = si.RetrieveContent().propertyCollector
    collector.CreateFilter(*object_filter(datacenter, ['name']))
    version = wait(collector, '').version
    start = time.monotonic()
    assert wait(collector, version, seconds=1) is None
    assert 0.9 < time.monotonic() - start < 5


def test_unknown_version_is_invalid(si, datacenter):
    collector = si.RetrieveContent().propertyCollector
    collector.CreateFilter(*object_filter(datacenter, ['name']))
    with pytest.raises(vmodl.query.InvalidCollectorVersion):
        wait(collector, '12345', seconds=0)


def test_partial_updates_false_reports_every_property(si, vc_http, datacenter):
    collector = si.RetrieveContent().propertyCollector
    collector.CreateFilter(*object_filter(datacenter, ['name', 'overallStatus'], partial=False))
    version = wait(collector, '').version
    rename(vc_http.sim, datacenter._moId, 'DC0-full')
    try:
        update = wait(collector, version, seconds=5).filterSet[0].objectSet[0]
        assert {c.name for c in update.changeSet} == {'name', 'overallStatus'}
    finally:
        rename(vc_http.sim, datacenter._moId, 'DC0')


def add_folders(sim, count, prefix):
    def create():
        from vimsim.managed.inventory.folder import Folder
        root = sim.root_folder
        made = []
        for index in range(count):
            folder = Folder(sim, sim.objects.next_id('group-d'), '%s%d' % (prefix, index), root,
                            ('Folder', 'Datacenter'))
            root.add_child(folder)
            made.append(folder)
        root.changed('childEntity')
        return made
    return on_reactor(create)


def remove_folders(sim, folders):
    def remove():
        for folder in folders:
            sim.root_folder.childEntity.remove(folder.ref)
            folder.destroy()
        sim.root_folder.changed('childEntity')
    on_reactor(remove)


def test_objects_enter_and_leave_a_container_view(si, vc_http):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.Folder], False)
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[
            PC.TraversalSpec(name='v', type=vim.view.ContainerView, path='view')])],
        propSet=[PC.PropertySpec(type=vim.Folder, pathSet=['name'])])
    collector = content.propertyCollector
    collector.CreateFilter(spec, True)
    version = wait(collector, '').version
    [folder] = add_folders(vc_http.sim, 1, 'entering')
    entered = wait(collector, version, seconds=5)
    [update] = entered.filterSet[0].objectSet
    assert update.kind == 'enter' and update.changeSet[0].val == 'entering0'
    remove_folders(vc_http.sim, [folder])
    left = wait(collector, entered.version, seconds=5)
    [update] = left.filterSet[0].objectSet
    assert update.kind == 'leave' and update.obj._moId == folder.ref.value
    view.DestroyView()


def test_thousand_changes_in_pages_of_ten(si, vc_http):
    content = si.RetrieveContent()
    folders = add_folders(vc_http.sim, 1000, 'paged')
    try:
        spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=vim.Folder(f.ref.value, si._stub))
                                        for f in folders],
                             propSet=[PC.PropertySpec(type=vim.Folder, pathSet=['name'])])
        collector = content.propertyCollector
        collector.CreateFilter(spec, True)
        version = wait(collector, '', max_updates=2000).version

        def rename_all():
            for index, folder in enumerate(folders):
                folder.name = 'changed%04d' % index
                folder.changed('name')
                vc_http.sim.changes.flush()   # each change its own version
        on_reactor(rename_all)
        seen = []
        pages = 0
        while True:
            result = wait(collector, version, seconds=0, max_updates=10)
            if result is None:
                break
            pages += 1
            updates = [u for f in result.filterSet for u in f.objectSet]
            assert len(updates) <= 10
            assert bool(result.truncated) == (len(seen) + len(updates) < 1000)
            seen.extend(u.changeSet[0].val for u in updates)
            version = result.version
        assert seen == ['changed%04d' % i for i in range(1000)]
        assert pages == 100
    finally:
        remove_folders(vc_http.sim, folders)


def test_an_initial_state_in_parts_reads_each_part_when_it_is_asked_for(si, vc_http):
    """Version "" with maxObjectUpdates reads each part when the client asks
    for it (a million objects' answer is never held at once): an object
    renamed meanwhile enters with its new name, one removed meanwhile neither
    enters nor leaves, and the rest enter once each. It used to read every
    object at the first call and keep them all until the last part."""
    folders = add_folders(vc_http.sim, 30, 'parts')
    try:
        spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=vim.Folder(f.ref.value, si._stub))
                                        for f in folders],
                             propSet=[PC.PropertySpec(type=vim.Folder, pathSet=['name'])])
        collector = si.RetrieveContent().propertyCollector
        property_filter = collector.CreateFilter(spec, True)
        first = wait(collector, '', max_updates=10)
        assert first.truncated
        kinds = [(u.kind, u.obj._moId) for u in first.filterSet[0].objectSet]
        rename(vc_http.sim, folders[20].ref.value, 'renamed meanwhile', 'Folder')
        remove_folders(vc_http.sim, [folders[25]])
        names = {}
        version = first.version
        while True:
            result = wait(collector, version, seconds=0, max_updates=10)
            if result is None:
                break
            for update in result.filterSet[0].objectSet:
                kinds.append((update.kind, update.obj._moId))
                if update.kind == 'enter':
                    names[update.obj._moId] = update.changeSet[0].val
            version = result.version
        entered = [ref for kind, ref in kinds if kind == 'enter']
        assert entered == [f.ref.value for f in folders if f is not folders[25]]
        assert ('leave', folders[25].ref.value) not in kinds
        assert names[folders[20].ref.value] == 'renamed meanwhile'
        property_filter.DestroyPropertyFilter()
    finally:
        remove_folders(vc_http.sim, [f for f in folders if f is not folders[25]])


def test_cancel_wait_for_updates(si, datacenter):
    collector = si.RetrieveContent().propertyCollector
    collector.CreateFilter(*object_filter(datacenter, ['name']))
    version = wait(collector, '').version
    errors = []

    def waiting():
        try:
            wait(collector, version, seconds=30)
        except Exception as error:   # noqa: BLE001 - the test inspects it
            errors.append(error)
    thread = threading.Thread(target=waiting)
    thread.start()
    time.sleep(0.3)
    # a second connection of the same session cancels the wait
    from pyVmomi import SoapStubAdapter
    stub = SoapStubAdapter(host=si._stub.host.split(':')[0], port=-int(si._stub.host.split(':')[1]),
                           version=si._stub.version)
    stub.cookie = si._stub.cookie
    vmodl.query.PropertyCollector(collector._moId, stub).CancelWaitForUpdates()
    thread.join(10)
    assert isinstance(errors[0], vmodl.fault.RequestCanceled)


def test_legacy_wait_and_check_for_updates(si, vc_http, datacenter):
    collector = si.RetrieveContent().propertyCollector
    collector.CreateFilter(*object_filter(datacenter, ['name']))
    initial = collector.WaitForUpdates('')
    assert initial.filterSet[0].objectSet[0].kind == 'enter'
    assert collector.CheckForUpdates(initial.version) is None
    rename(vc_http.sim, datacenter._moId, 'DC0-legacy')
    try:
        update = collector.WaitForUpdates(initial.version)
        assert update.filterSet[0].objectSet[0].changeSet[0].val == 'DC0-legacy'
    finally:
        rename(vc_http.sim, datacenter._moId, 'DC0')


def test_logout_removes_filters_and_ends_waits(vc_http):
    si = vc_http.connect()
    content = si.RetrieveContent()
    datacenter = content.rootFolder.childEntity[0]
    content.propertyCollector.CreateFilter(*object_filter(datacenter, ['name']))
    hub = vc_http.sim.changes
    before = len(hub.filters)
    Disconnect(si)
    assert len(hub.filters) == before - 1


# -- many waiting sessions, over raw HTTP ------------------------------------------
ENVELOPE = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>%s'
            '</soapenv:Body></soapenv:Envelope>')


async def soap(reader, writer, host, port, body, cookie=None):
    payload = (ENVELOPE % body).encode()
    head = ('POST /sdk HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: text/xml\r\n'
            'SOAPAction: "urn:vim25/9.1.1.0"\r\nContent-Length: %d\r\n' % (host, port, len(payload)))
    if cookie:
        head += 'Cookie: %s\r\n' % cookie
    writer.write(head.encode() + b'\r\n' + payload)
    header = await reader.readuntil(b'\r\n\r\n')
    length = int(re.search(rb'(?i)content-length: (\d+)', header).group(1))
    data = await reader.readexactly(length)
    match = re.search(rb'(?i)set-cookie: ([^\r]+)', header)
    return header, data, match.group(1).decode() if match else None


async def watcher(host, port, datacenter, ready, results):
    reader, writer = await asyncio.open_connection(host, port)
    _, _, cookie = await soap(reader, writer, host, port,
                              '<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager'
                              '</_this><userName>u</userName><password>p</password></Login>')
    await soap(reader, writer, host, port,
               '<CreateFilter xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector'
               '</_this><spec><propSet><type>Datacenter</type><pathSet>name</pathSet></propSet>'
               '<objectSet><obj type="Datacenter">%s</obj></objectSet></spec>'
               '<partialUpdates>true</partialUpdates></CreateFilter>' % datacenter, cookie)
    wait_body = ('<WaitForUpdatesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
                 'propertyCollector</_this><version>%s</version><options><maxWaitSeconds>60'
                 '</maxWaitSeconds></options></WaitForUpdatesEx>')
    _, data, _ = await soap(reader, writer, host, port, wait_body % '', cookie)
    version = re.search(rb'<version>([^<]+)</version>', data).group(1).decode()
    ready.append(1)
    _, data, _ = await soap(reader, writer, host, port, wait_body % version, cookie)
    results.append(data)
    await soap(reader, writer, host, port, '<Logout xmlns="urn:vim25"><_this type="SessionManager">'
                                           'SessionManager</_this></Logout>', cookie)
    writer.close()


def test_thousand_waiting_sessions_all_answered(vc_http):
    host, port = vc_http.host, vc_http.port
    datacenter = on_reactor(lambda: vc_http.sim.root_folder.childEntity[0].value)

    others = on_reactor(lambda: debug_vars(vc_http.sim)['waits'])

    def parked_waits():
        """WaitForUpdatesEx calls the server holds for this test's watchers."""
        return on_reactor(lambda: debug_vars(vc_http.sim)['waits']) - others

    async def scenario():
        ready, results = [], []
        tasks = [asyncio.create_task(watcher(host, port, datacenter, ready, results))
                 for _ in range(1000)]
        deadline = time.monotonic() + 120
        while len(ready) < 1000 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert len(ready) == 1000
        while parked_waits() < 1000 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert parked_waits() == 1000
        # the server answers other calls while 1,000 calls wait (each waits up to 60 s)
        reader, writer = await asyncio.open_connection(host, port)
        header, _, _ = await soap(reader, writer, host, port,
                                  '<RetrieveServiceContent xmlns="urn:vim25"><_this type='
                                  '"ServiceInstance">ServiceInstance</_this></RetrieveServiceContent>')
        assert header.startswith(b'HTTP/1.1 200')
        assert results == [] and parked_waits() == 1000
        writer.close()
        await asyncio.get_running_loop().run_in_executor(
            None, rename, vc_http.sim, datacenter, 'DC0-shared')
        await asyncio.wait_for(asyncio.gather(*tasks), 60)
        return results

    try:
        results = asyncio.run(scenario())
    finally:
        rename(vc_http.sim, datacenter, 'DC0')
    assert len(results) == 1000
    assert all(b'DC0-shared' in r for r in results)


def test_view_property_changes_are_reported(si, vc_http):
    content = si.RetrieveContent()
    container = content.viewManager.CreateContainerView(content.rootFolder, [vim.Folder], False)
    listed = content.viewManager.CreateListView([])
    collector = content.propertyCollector
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=container), PC.ObjectSpec(obj=listed)],
                         propSet=[PC.PropertySpec(type=vim.view.ManagedObjectView,
                                                  pathSet=['view'])])
    collector.CreateFilter(spec, True)
    version = wait(collector, '').version
    listed.ModifyListView(add=[content.rootFolder])
    update = wait(collector, version, seconds=5)
    [change] = update.filterSet[0].objectSet
    assert change.obj == listed and change.changeSet[0].val == [content.rootFolder]
    [folder] = add_folders(vc_http.sim, 1, 'viewed')
    try:
        update = wait(collector, update.version, seconds=5)
        [change] = update.filterSet[0].objectSet
        assert change.obj == container
        assert folder.ref.value in [f._moId for f in change.changeSet[0].val]
    finally:
        remove_folders(vc_http.sim, [folder])
        container.DestroyView()
        listed.DestroyView()


def test_filters_reporting_one_change_each_get_their_own_paths(vc_http):
    """Filters reporting the same change in one flush log shared
    PropertyChanges (of the same value object) and ObjectUpdates
    (ChangeHub.flush): each session still gets exactly the paths it asked
    for, without partialUpdates all of them, a computed value its own copy."""
    sessions = [vc_http.connect() for _ in range(5)]
    specs = ((['name', 'config.annotation'], True), (['name', 'config.annotation'], True),
             (['name'], True), (['name', 'config.annotation', 'config.template'], False),
             (['name', 'summary.config'], True))
    vm_id = on_reactor(lambda: next(obj.ref.value for obj in vc_http.sim.objects
                                    if obj.type_name == 'VirtualMachine'))
    watched = []

    def change(name, annotation):
        from vimsim.schema import MoRef
        obj = vc_http.sim.objects.get(MoRef('VirtualMachine', vm_id))
        obj.name, obj.annotation = name, annotation
        obj.changed('name', 'config', 'summary')
    old_name = on_reactor(lambda: next(obj.name for obj in vc_http.sim.objects
                                       if obj.ref.value == vm_id))
    try:
        for si, (paths, partial) in zip(sessions, specs):
            collector = si.RetrieveContent().propertyCollector
            vm = vim.VirtualMachine(vm_id, stub=si._stub)
            property_filter = collector.CreateFilter(*object_filter(vm, paths, partial))
            watched.append((collector, property_filter, wait(collector, '').version))
        on_reactor(lambda: change('renamed-shared', 'a shared note'))
        answers = [wait(collector, version, seconds=10).filterSet[0].objectSet
                   for collector, _, version in watched]
        got = [{c.name: c.val for c in update.changeSet} for [update] in answers]
        assert got[0] == got[1] == {'name': 'renamed-shared', 'config.annotation': 'a shared note'}
        assert got[2] == {'name': 'renamed-shared'}
        assert got[3] == {'name': 'renamed-shared', 'config.annotation': 'a shared note',
                          'config.template': False}
        assert sorted(got[4]) == ['name', 'summary.config']
        assert (got[4]['summary.config'].name, got[4]['summary.config'].annotation) == (
            'renamed-shared', 'a shared note')

        def logged():
            by_ref = {f.ref.value: f for f in vc_http.sim.changes.filters}
            return [by_ref[property_filter._moId].state.log[-1][2]
                    for _, property_filter, _ in watched]
        updates = on_reactor(logged)
        assert updates[0] is updates[1]                      # the same changes: one update
        assert len({id(update) for update in updates}) == 4
        assert all(update.changeSet[0] is updates[0].changeSet[0] for update in updates)
    finally:
        on_reactor(lambda: change(old_name, ''))
        for si in sessions:
            Disconnect(si)


def test_filters_coming_and_going_on_one_object_each_keep_reporting(vc_http, datacenter):
    """The hub's index of who reports an object holds one filter alone, and a
    set of them once others come (ChangeHub.watch): each filter destroyed
    leaves the others reporting, the last one's going leaves none behind."""
    sessions = [vc_http.connect() for _ in range(3)]
    watching = []

    def watch(si):
        collector = si.RetrieveContent().propertyCollector
        dc = vim.Datacenter(datacenter._moId, stub=si._stub)
        property_filter = collector.CreateFilter(*object_filter(dc, ['name']))
        watching.append([collector, property_filter, wait(collector, '').version])

    def renamed_for_each(name):
        rename(vc_http.sim, datacenter._moId, name)
        for entry in watching:
            answer = wait(entry[0], entry[2], seconds=10)
            assert [c.val for c in answer.filterSet[0].objectSet[0].changeSet] == [name]
            entry[2] = answer.version

    def watchers():
        from vimsim.schema import MoRef
        ref = MoRef('Datacenter', datacenter._moId)
        return on_reactor(lambda: len(vc_http.sim.changes.watching(ref)))
    try:
        for si in sessions:
            watch(si)
        renamed_for_each('DC0-three')
        for count in (2, 1):
            watching.pop(0)[1].DestroyPropertyFilter()
            assert watchers() == count
            renamed_for_each('DC0-%d' % count)
        watching.pop(0)[1].DestroyPropertyFilter()
        assert watchers() == 0
        watch(sessions[0])
        watch(sessions[1])
        assert watchers() == 2
        renamed_for_each('DC0-again')
    finally:
        rename(vc_http.sim, datacenter._moId, 'DC0')
        for si in sessions:
            Disconnect(si)


def _vm_view_filter(si):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[PC.TraversalSpec(
            name='view', type=vim.view.ContainerView, path='view', skip=False)])],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=['name'])])
    return content.propertyCollector, spec


def _names_after(collector, version, names):
    """Apply the updates after `version` to `names` (moid -> name) until none
    come within a second; the last version."""
    while True:
        answer = wait(collector, version, seconds=1)
        if answer is None:
            return version
        version = answer.version
        for update in answer.filterSet[0].objectSet:
            if update.kind == 'leave':
                names.pop(update.obj._moId)
            for change in update.changeSet:
                names[update.obj._moId] = change.val


def _entering_hook(monkeypatch, during):
    """Have PropertyFilter._enter call `during(filter, entered)` (on the
    reactor) once the second object is taken in."""
    from vimsim.managed.service import updates
    entered = []
    original = updates.PropertyFilter._enter

    def enter(self, obj, build=True):
        update = original(self, obj, build)
        entered.append(obj)
        if len(entered) == 2:
            during(self, entered)
        return update
    monkeypatch.setattr(updates.PropertyFilter, '_enter', enter)
    monkeypatch.setattr(updates, 'START_AT_ONCE', 1)
    monkeypatch.setattr(updates, 'START_SLICE', 1)


@pytest.mark.parametrize('logged', [False, True], ids=['first-filter', 'versions-handed-out'])
def test_a_filter_taking_many_objects_in_by_steps_misses_no_change(vc_http, monkeypatch,
                                                                   logged):
    """A filter over more than START_AT_ONCE objects takes them in a slice a
    reactor turn (CollectorSession.add_filter): a rename meanwhile of a VM
    already taken in and of one still to come both reach the client, with
    or without versions handed out before, and so does a rename after."""
    si = vc_http.connect()
    sim = vc_http.sim
    collector, spec = _vm_view_filter(si)
    renamed = {}

    def during(_, entered):
        vms = [obj for obj in sim.objects.of_type('VirtualMachine')]
        later = next(vm for vm in vms if vm not in entered)
        for vm in (entered[0], later):
            renamed[vm.ref.value] = vm.name
            vm.name = vm.name + '-meanwhile'
            vm.changed('name')
        sim.changes.flush()   # as a turn between two steps would
    names, version = {}, ''
    try:
        if logged:   # another filter's version handed out: this one's enters are logged
            collector.CreateFilter(*object_filter(si.RetrieveContent().rootFolder, ['name']))
            version = _names_after(collector, '', {})
        _entering_hook(monkeypatch, during)
        property_filter = collector.CreateFilter(spec, True)
        version = _names_after(collector, version, names)
        current = on_reactor(lambda: {vm.ref.value: vm.name
                                      for vm in sim.objects.of_type('VirtualMachine')})
        assert len(renamed) == 2 and names == current
        assert all(current[moid].endswith('-meanwhile') for moid in renamed)
        moid = next(iter(renamed))
        rename(sim, moid, 'after-the-steps', 'VirtualMachine')
        _names_after(collector, version, names)
        assert names[moid] == 'after-the-steps'
        property_filter.DestroyPropertyFilter()
    finally:
        for moid, name in renamed.items():
            rename(sim, moid, name, 'VirtualMachine')
        Disconnect(si)


def test_a_session_ending_while_its_filter_takes_objects_in_leaves_nothing(vc_http,
                                                                        monkeypatch):
    """The session of a filter still taking its objects in ends (logged out,
    terminated): the steps stop, CreateFilter answers ManagedObjectNotFound,
    and neither the hub nor the registry keeps the filter."""
    from vimsim.schema import MoRef
    si = vc_http.connect()
    sim = vc_http.sim
    collector, spec = _vm_view_filter(si)
    ended = []

    def during(property_filter, _):
        ended.append(property_filter.ref)
        sim.objects.get(MoRef('SessionManager', 'SessionManager'))._end(property_filter.owner)
    _entering_hook(monkeypatch, during)
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        collector.CreateFilter(spec, True)
    [ref] = ended
    assert on_reactor(lambda: sim.objects.get(ref) is None
                      and all(f.ref != ref for f in sim.changes.filters))


@pytest.mark.parametrize('logged', [False, True], ids=['first-filter', 'versions-handed-out'])
def test_a_filter_planned_by_steps_follows_what_changed_meanwhile(validator, monkeypatch,
                                                                 logged):
    """A plan longer than a turn (steps.soon: a view of a million VMs) is
    made by steps, the view walked and its references followed by steps
    too: a VM planned and then unregistered and another renamed meanwhile
    reach the client as they are now, the change of shape seen even when a
    flush came between (ChangeHub.add re-plans the filter)."""
    from tests.conftest import _simulator
    from vimsim.managed.service import steps
    from vimsim.managed.service import property_collector, view
    from vimsim.managed.vm.provisioning import unregister_vm
    server = _simulator(validator, tls=False)
    sim = server.sim
    si = server.connect()
    collector, spec = _vm_view_filter(si)
    changed = []
    planning = property_collector.PropertyCollector.plan_steps

    def plan_steps(self, ctx, spec, tolerate_missing=False, closures=None):
        """A plan's steps; once the view's has selected every VM (its last
        step, the plan then returned), the changes."""
        steps_of_plan = planning(self, ctx, spec, tolerate_missing, closures)
        while True:
            try:
                next(steps_of_plan)
            except StopIteration as done:
                if not changed and spec.objectSet[0].obj.type == 'ContainerView':
                    vms = list(sim.objects.of_type('VirtualMachine'))
                    unregister_vm(vms[0])
                    vms[1].name = 'renamed-while-planned'
                    vms[1].changed('name')
                    sim.changes.flush()   # as a turn between two steps would
                    changed.append(vms[0].ref.value)
                return done.value
            yield
    monkeypatch.setattr(property_collector.PropertyCollector, 'plan_steps', plan_steps)
    monkeypatch.setattr(view, 'COLLECT_SLICE', 1)
    monkeypatch.setattr(property_collector, 'REFS_SLICE', 1)
    monkeypatch.setattr(steps, 'NOW_SECONDS', 0)
    try:
        version, names = '', {}
        if logged:
            collector.CreateFilter(*object_filter(si.RetrieveContent().rootFolder, ['name']))
            version = _names_after(collector, '', {})
        collector.CreateFilter(spec, True)
        _names_after(collector, version, names)
        current = on_reactor(lambda: {vm.ref.value: vm.name
                                      for vm in sim.objects.of_type('VirtualMachine')})
        assert changed and changed[0] not in current
        assert names == current and 'renamed-while-planned' in names.values()
    finally:
        Disconnect(si)
